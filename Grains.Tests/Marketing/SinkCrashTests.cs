using System.Collections.Concurrent;
using Grains.Hosting;
using Grains.Marketing;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using netDumbster.smtp;
using Orleans.TestingHost;

namespace Grains.Tests.Marketing;

/// <summary>
/// Step 10's sinks under a crash at their worst moment: each has sent (SMTP accepted the e-mail, Slack and the CRM
/// answered 2xx) and recorded it, and the silo dies before the delivery is acknowledged, so the Kafka offset is not
/// committed. The next silo gets the three events again and must send nothing.
/// </summary>
public sealed class SinkCrashTests : IDisposable
{
    private readonly string _serviceId = "sinks-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _prefix = TestKafka.UniquePrefix();
    private readonly SimpleSmtpServer _smtp = SimpleSmtpServer.Start(LoopbackChatServer.FreePort());
    private readonly LoopbackEndpoint _slack = new();
    private readonly LoopbackEndpoint _crm = new();

    public void Dispose()
    {
        _smtp.Dispose();
        _slack.Dispose();
        _crm.Dispose();
    }

    private InProcessTestCluster NewCluster(SinkDeliveries deliveries)
    {
        var kafka = new PlatformKafkaOptions { BootstrapServers = TestKafka.BootstrapServers, TopicPrefix = _prefix, Embedded = TestKafka.Embedded };
        var stores = new PlatformStoreOptions { Storage = StoreKind.Redis, Reminders = StoreKind.Redis, Redis = TestRedis.ConnectionString };
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = _serviceId;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<IChatClient>(new ScriptedModel());
            silo.AddAgentPlatform(kafka, stores: stores);
            silo.AddIncomingGrainCallFilter(deliveries);
            silo.Services.Configure<SinkOptions>(o =>
            {
                o.SlackWebhookUrl = _slack.Url + "services/T000/B000/XXXX";
                o.CrmUrl = _crm.Url + "crm/leads";
                o.Smtp.Host = "127.0.0.1";
                o.Smtp.Port = _smtp.Configuration.Port;
                o.Smtp.Security = "None";
            });
        });
        return builder.Build();
    }

    [Fact]
    public async Task A_silo_killed_after_the_sinks_sent_and_before_kafka_committed_sends_no_second_email_slack_message_or_crm_write()
    {
        var leadId = "lead-" + Guid.NewGuid().ToString("N");
        int Mails() => _smtp.ReceivedEmail.Count(m => m.Headers["X-Lead-Id"] == leadId);
        int Slack() => _slack.Requests.Count(r => r.Body.Contains("erika@example.com", StringComparison.Ordinal));
        int Crm() => _crm.Requests.Count(r => r.Path.EndsWith("/" + leadId, StringComparison.Ordinal));

        using var held = new SinkDeliveries(hold: true);
        var first = NewCluster(held);
        await first.DeployAsync();
        try
        {
            var submitted = await first.Client.GetGrain<ILeadGrain>(leadId).Submit(new LeadForm("stuttgart-motors", "Erika Mustermann", "erika@example.com", "Acme GmbH",
                "We need an electric car for our sales team, something like the EQS."));
            Assert.True(submitted.Accepted);
            // Each sink handled its event (sent, recorded) and its delivery now waits: the offsets stay uncommitted.
            await Eventually.True(() => held.HandledAll(leadId), "the three sinks handled the lead and wait before acknowledging", TimeSpan.FromMinutes(2));
            Assert.Equal((1, 1, 1), (Mails(), Slack(), Crm()));
        }
        finally
        {
            foreach (var silo in first.Silos.ToList()) await first.KillSiloAsync(silo);
            await first.DisposeAsync();
        }

        using var after = new SinkDeliveries(hold: false);
        var second = NewCluster(after);
        await second.DeployAsync();
        try
        {
            // Kafka gives each sink its event again (proof that nothing was committed) …
            await Eventually.True(() => after.HandledAll(leadId), "the three events redelivered to the sinks of the new silo", TimeSpan.FromMinutes(2));
            // … and each finds its record: the handler has returned, so a resend would have happened by now.
            Assert.Equal((1, 1, 1), (Mails(), Slack(), Crm()));
            foreach (var sink in SinkDeliveries.Sinks)
                Assert.True(after.Count(sink, leadId) >= 1, $"{sink} got the redelivery");
        }
        finally
        {
            await second.StopAllSilosAsync();
            await second.DisposeAsync();
        }
    }
}

/// <summary>
/// Counts stream deliveries the sinks have handled, per sink and lead; with <c>hold</c>, keeps each delivery from
/// returning to the pulling agent, which is what the silo would be doing if it died right after the handler.
/// </summary>
internal sealed class SinkDeliveries(bool hold) : IIncomingGrainCallFilter, IDisposable
{
    public static readonly string[] Sinks = [nameof(MailerGrain), nameof(SalesNotifierGrain), nameof(CrmSyncGrain)];

    private readonly ConcurrentDictionary<(string Sink, string Lead), int> _handled = new();
    private readonly CancellationTokenSource _release = new();

    public int Count(string sink, string leadId) => _handled.GetValueOrDefault((sink, leadId));

    public bool HandledAll(string leadId) => Sinks.All(s => Count(s, leadId) > 0);

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        await context.Invoke();
        if (context.TargetContext.GrainInstance is not LeadSinkGrain sink || !context.MethodName.StartsWith("Deliver", StringComparison.Ordinal)) return;
        _handled.AddOrUpdate((sink.GetType().Name, sink.GetPrimaryKeyString()), 1, (_, n) => n + 1);
        if (hold)
        {
            try { await Task.Delay(Timeout.Infinite, _release.Token); }
            catch (OperationCanceledException) { }
        }
    }

    public void Dispose()
    {
        _release.Cancel();
        _release.Dispose();
    }
}
