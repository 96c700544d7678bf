using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Grains.Approvals;
using Grains.Marketing;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using netDumbster.smtp;

namespace Grains.Tests.Marketing;

/// <summary>A pipeline whose sinks deliver to a real SMTP server and HTTP endpoints on loopback.</summary>
public sealed class MarketingSinksCluster : PipelineCluster
{
    public SimpleSmtpServer Smtp { get; } = SimpleSmtpServer.Start(LoopbackChatServer.FreePort());
    public LoopbackEndpoint Slack { get; } = new();
    public LoopbackEndpoint Crm { get; } = new();

    protected override void Configure(ISiloBuilder silo) => silo.Services.Configure<SinkOptions>(o =>
    {
        o.SlackWebhookUrl = Slack.Url + "services/T000/B000/XXXX";
        o.CrmUrl = Crm.Url + "crm/leads";
        o.Smtp.Host = "127.0.0.1";
        o.Smtp.Port = Smtp.Configuration.Port;
        o.Smtp.Security = "None";
        o.Smtp.From = "sales@stuttgart-motors.example";
    });

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Smtp.Dispose();
        Slack.Dispose();
        Crm.Dispose();
    }
}

/// <summary>An HTTP endpoint on loopback that keeps every request it gets and answers as told (200 and no body unless said).</summary>
public sealed class LoopbackEndpoint : IDisposable
{
    private readonly HttpListener _listener = new();
    public ConcurrentQueue<(string Method, string Path, string Body)> Requests { get; } = new();
    public string Url { get; }

    public LoopbackEndpoint(Func<HttpListenerRequest, (int Status, string Body)>? respond = null)
    {
        var port = LoopbackChatServer.FreePort();
        Url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) when (!_listener.IsListening) { return; }
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                Requests.Enqueue((context.Request.HttpMethod, context.Request.Url!.AbsolutePath, await reader.ReadToEndAsync()));
                var (status, body) = respond?.Invoke(context.Request) ?? (200, "");
                context.Response.StatusCode = status;
                if (body.Length > 0)
                {
                    context.Response.ContentType = "application/json";
                    await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(body));
                }
                context.Response.Close();
            }
        });
    }

    public void Dispose() => _listener.Stop();
}

/// <summary>Steps 9 and 10: approval of risky messages, then Slack, e-mail and CRM, each once.</summary>
public sealed class MarketingSinkTests(MarketingSinksCluster pipeline) : IClassFixture<MarketingSinksCluster>
{
    private async Task<string> SubmitAsync(string interest)
    {
        var leadId = "lead-" + Guid.NewGuid().ToString("N");
        var result = await pipeline.Client.GetGrain<ILeadGrain>(leadId).Submit(new LeadForm("stuttgart-motors", "Erika Mustermann", "erika@example.com", "Acme GmbH", interest));
        Assert.True(result.Accepted);
        return leadId;
    }

    private IReadOnlyList<netDumbster.smtp.SmtpMessage> MailsFor(string leadId) =>
        pipeline.Smtp.ReceivedEmail.Where(m => m.Headers["X-Lead-Id"] == leadId).ToList();

    private async Task DeliveredEverywhereAsync(string leadId)
    {
        await Eventually.True(() => MailsFor(leadId).Count > 0 && pipeline.Slack.Requests.Any(r => r.Body.Contains(leadId, StringComparison.Ordinal) || r.Body.Contains("Erika", StringComparison.Ordinal))
                                    && pipeline.Crm.Requests.Any(r => r.Path.EndsWith(leadId, StringComparison.Ordinal)), $"lead {leadId} at the SMTP server, Slack and the CRM");
    }

    [Fact]
    public async Task A_clean_lead_reaches_the_SMTP_server_Slack_and_the_CRM_once_each()
    {
        var leadId = await SubmitAsync("We need an electric car for our sales team, something like the EQS.");
        await DeliveredEverywhereAsync(leadId);

        var mail = Assert.Single(MailsFor(leadId));
        Assert.Equal("erika@example.com", mail.ToAddresses.Single().Address);
        Assert.Contains(SinkPayloads.MessageIdOf(new Lead { LeadId = leadId, TenantId = "stuttgart-motors", Name = "x", Email = "x@x.x", Interest = "x" }), mail.Headers["Message-ID"]);
        Assert.Contains("Dear Erika Mustermann", mail.TextBody());
        Assert.Contains("Availability today:", mail.TextBody());

        var crm = Assert.Single(pipeline.Crm.Requests, r => r.Path.EndsWith(leadId, StringComparison.Ordinal));
        Assert.Equal("PUT", crm.Method);
        Assert.Contains($"\"id\":\"{leadId}\"", crm.Body);
        var slack = pipeline.Slack.Requests.Where(r => r.Body.Contains("erika@example.com", StringComparison.Ordinal)).ToList();
        Assert.Contains(slack, r => r.Method == "POST" && r.Path == "/services/T000/B000/XXXX" && r.Body.Contains("\"text\":", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_risky_message_waits_in_the_marketing_queue_and_the_moderators_edit_is_what_is_sent()
    {
        var leadId = await SubmitAsync("What is your best deal on a GLC for our company fleet?");
        var queue = pipeline.Client.GetGrain<IApprovalQueueGrain>(Teams.Marketing);
        var held = await Eventually.Value(async () => (await queue.Pending()).FirstOrDefault(i => i.Turn.TurnId == leadId), "the lead's message in the marketing queue");
        Assert.Equal(HoldKind.Lead, held.Kind);
        Assert.Equal("marketing.discount", held.Rule);
        Assert.Contains("25%", held.Turn.Answer);
        Assert.Empty(MailsFor(leadId)); // nothing goes out while it waits

        var edited = held.Turn.Answer!.Replace("As a welcome offer, we can give you 25% off your first order.", "Ask us about our fleet conditions.", StringComparison.Ordinal);
        var decision = await queue.Approve(leadId, "mod@example.com", edited);
        Assert.True(decision.Applied, decision.Message);
        await DeliveredEverywhereAsync(leadId);

        var body = Assert.Single(MailsFor(leadId)).TextBody();
        Assert.Contains("fleet conditions", body);
        Assert.DoesNotContain("25%", body);
        var record = await queue.Get(leadId);
        Assert.Equal("edited", record!.Outcome);
        Assert.Contains(record.Diff, d => d.Kind == DiffKind.Removed && d.Text.Contains("25%", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rejected_message_is_never_sent_and_the_lead_is_closed_with_the_reason()
    {
        var leadId = await SubmitAsync("Is the C-Class better than a BMW 3 series?");
        var queue = pipeline.Client.GetGrain<IApprovalQueueGrain>(Teams.Marketing);
        await Eventually.Value(async () => (await queue.Pending()).FirstOrDefault(i => i.Turn.TurnId == leadId), "the lead's message in the marketing queue");
        Assert.True((await queue.Reject(leadId, "mod@example.com", "names a competitor", "")).Applied);

        var rejected = Grains.Marketing.LeadEvents.Lead(CloudEventOf(TestKafka.ReadTopic(pipeline.Topic(LeadTopics.Rejected), 4,
            seen => seen.Any(m => Encoding.UTF8.GetString(m.Message.Key) == leadId)).First(m => Encoding.UTF8.GetString(m.Message.Key) == leadId)));
        Assert.Equal("moderator.rejected", rejected.Verdict!.Rule);
        Assert.Equal("mod@example.com", rejected.DecidedBy);
        Assert.Empty(MailsFor(leadId));
    }

    private static global::Streaming.Kafka.Events.CloudEvent CloudEventOf(Confluent.Kafka.ConsumeResult<byte[], byte[]> m) =>
        global::Streaming.Kafka.Events.CloudEventKafkaMapping.TryParse(m.Message.Headers, m.Message.Value, out var e, out var error) ? e! : throw new InvalidDataException(error);
}

/// <summary>What a received mail says, decoded (the raw body is quoted-printable, lines folded).</summary>
internal static class ReceivedMail
{
    public static string TextBody(this netDumbster.smtp.SmtpMessage mail) =>
        MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(mail.Data))).TextBody ?? "";
}
