using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Marketing;

public interface ICrmSyncGrain : IGrainWithStringKey;

/// <summary>Step 10, CRM update: <c>crm.sync</c> → <c>PUT {CrmUrl}/{leadId}</c> (an upsert: sending twice leaves one record), or the outbox.</summary>
[ImplicitStreamSubscription(LeadTopics.CrmSync)]
public sealed class CrmSyncGrain(
    [PersistentState("sink-crm", GrainStores.Conversations)] IPersistentState<SinkState> state,
    IHttpClientFactory http, IOptions<SinkOptions> options, TimeProvider time, ILogger<CrmSyncGrain> logger)
    : LeadSinkGrain(LeadStages.CrmSync, state, time, logger), ICrmSyncGrain
{
    protected override async Task<string> DeliverAsync(Lead lead)
    {
        var record = SinkPayloads.Crm(lead);
        if (options.Value.CrmUrl is not { Length: > 0 } baseUrl)
            return await ToOutboxAsync(lead, "crm", "crm", $"Upsert lead {lead.LeadId}", JsonSerializer.Serialize(record, SinkPayloads.Readable));
        var url = $"{baseUrl.TrimEnd('/')}/{Uri.EscapeDataString(lead.LeadId)}";
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = JsonContent.Create(record) };
        if (options.Value.CrmToken is { Length: > 0 } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.CreateClient(MarketingHosting.SinkClient).SendAsync(request);
        response.EnsureSuccessStatusCode();
        return url;
    }
}
