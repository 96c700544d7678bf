using System.Net.Http.Json;
using System.Text.Json;
using Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Marketing;

public interface ISalesNotifierGrain : IGrainWithStringKey;

/// <summary>Step 10, Slack to sales: <c>notifications.sales</c> → the incoming webhook (JSON POST), or the outbox.</summary>
[ImplicitStreamSubscription(LeadTopics.NotificationsSales)]
public sealed class SalesNotifierGrain(
    [PersistentState("sink-slack", GrainStores.Conversations)] IPersistentState<SinkState> state,
    IHttpClientFactory http, IOptions<SinkOptions> options, TimeProvider time, ILogger<SalesNotifierGrain> logger)
    : LeadSinkGrain(LeadStages.SalesNotifier, state, time, logger), ISalesNotifierGrain
{
    protected override async Task<string> DeliverAsync(Lead lead)
    {
        var payload = SinkPayloads.Slack(lead);
        if (options.Value.SlackWebhookUrl is not { Length: > 0 } url)
            return await ToOutboxAsync(lead, "slack", "#sales", $"New lead: {lead.Name}", JsonSerializer.Serialize(payload, SinkPayloads.Readable));
        using var response = await http.CreateClient(MarketingHosting.SinkClient).PostAsJsonAsync(url, payload);
        response.EnsureSuccessStatusCode(); // refused: thrown, so Kafka delivers the event again
        return url;
    }
}
