using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Grains.Approvals;
using Grains.Hosting;
using Grains.Marketing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using Streaming.Kafka.Embedded;

namespace Bench;

/// <summary>
/// Drives N leads through all ten steps of the marketing assistant on the embedded Kafka: submitted at once, a share of
/// them risky (held at step 8, approved by a moderator loop), every e-mail delivered to a real SMTP server on loopback
/// (Slack and the CRM go to the outbox). Latency is from the submit to the e-mail at the SMTP server; duplicates are
/// e-mails beyond one per lead.
/// </summary>
internal static class MarketingBench
{
    private static readonly string[] Clean =
    [
        "We need an electric car for our sales team, something like the EQS.",
        "Which family SUV with a large boot do you have?",
        "I am looking for a comfortable sedan for long commutes.",
        "Do you offer a servicing plan with tyres included?",
    ];

    private const string Risky = "What is your best deal on a GLC for our company fleet?";

    public static async Task<int> RunAsync(string[] args)
    {
        var leads = BenchArgs.Int(args, "--leads", 200);
        var riskyEvery = Math.Max(0, BenchArgs.Int(args, "--risky-every", 5)); // every fifth lead asks for a deal (0: none)
        var store = BenchArgs.Str(args, "--store", "memory"); // where the sinks record their deliveries (redis: a redis-server of its own)
        if (store is not ("memory" or "redis")) { Console.Error.WriteLine("marketing: --store is memory or redis"); return 2; }
        var stores = store == "redis"
            ? new PlatformStoreOptions { Storage = StoreKind.Redis, Reminders = StoreKind.Redis, Redis = Grains.Tests.Infrastructure.RedisServer.ConnectionString }
            : null;

        using var smtp = netDumbster.smtp.SimpleSmtpServer.Start(FreePort());
        var arrived = new ConcurrentDictionary<string, ConcurrentBag<DateTimeOffset>>();
        smtp.MessageReceived += (_, e) => arrived.GetOrAdd(e.Message.Headers["X-Lead-Id"] ?? "?", _ => []).Add(DateTimeOffset.UtcNow);

        // The window SMTP cannot close, per sink: channel accepted → delivery recorded (SinkMetrics).
        var windows = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SinkMetrics.MeterName && instrument.Name == SinkMetrics.UnrecordedWindowName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, ms, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "sink") windows.GetOrAdd(tag.Value as string ?? "?", _ => []).Add(ms);
        });
        listener.Start();

        using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        Console.WriteLine($"Embedded Kafka: {cluster.BrokerCount} brokers at {cluster.BootstrapServers}; {Environment.ProcessorCount} cores; SMTP on 127.0.0.1:{smtp.Configuration.Port}; grain state in {store}");
        var kafka = new PlatformKafkaOptions { BootstrapServers = cluster.BootstrapServers, TopicPrefix = "bench.", Embedded = cluster };
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAgentPlatform(kafka, stores: stores);
            silo.Services.Configure<SinkOptions>(o =>
            {
                o.Smtp.Host = "127.0.0.1";
                o.Smtp.Port = smtp.Configuration.Port;
                o.Smtp.Security = "None";
            });
        });
        builder.ConfigureSiloHost((_, host) => host.Logging.SetMinimumLevel(LogLevel.Warning));
        await using var orleans = builder.Build();
        await orleans.DeployAsync();
        var client = orleans.Client;

        // A moderator who approves every held message as it is (step 9).
        using var stop = new CancellationTokenSource();
        var moderator = Task.Run(async () =>
        {
            var queue = client.GetGrain<IApprovalQueueGrain>(Teams.Marketing);
            while (!stop.IsCancellationRequested)
            {
                foreach (var item in await queue.Pending()) await queue.Approve(item.Turn.TurnId, "bench-moderator");
                try { await Task.Delay(50, stop.Token); } catch (OperationCanceledException) { }
            }
        });

        var submitted = new ConcurrentDictionary<string, DateTimeOffset>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, leads), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            var leadId = $"bench-lead-{i:D6}";
            var interest = riskyEvery > 0 && i % riskyEvery == riskyEvery - 1 ? Risky : Clean[i % Clean.Length];
            submitted[leadId] = DateTimeOffset.UtcNow;
            var result = await client.GetGrain<ILeadGrain>(leadId).Submit(new LeadForm("stuttgart-motors", $"Lead {i}", $"lead{i}@example.com", "Acme GmbH", interest));
            if (!result.Accepted) throw new InvalidOperationException($"lead {leadId} refused: {string.Join("; ", result.Errors.Select(e => e.Message))}");
        });

        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (submitted.Keys.Count(arrived.ContainsKey) < leads)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{submitted.Keys.Count(arrived.ContainsKey)} of {leads} e-mails arrived within 10 min");
            await Task.Delay(100);
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        // Late duplicates would arrive right after: give the sinks a moment past the last e-mail before counting.
        await Task.Delay(2000);
        await stop.CancelAsync();
        await moderator;

        var latencies = submitted.Select(s => (arrived[s.Key].Min() - s.Value).TotalMilliseconds).Order().ToList();
        var emails = arrived.Where(a => submitted.ContainsKey(a.Key)).Sum(a => a.Value.Count);
        var duplicates = emails - leads;
        Console.WriteLine($"{leads} leads ({(riskyEvery > 0 ? leads / riskyEvery : 0)} risky, approved by the moderator loop) through all ten steps in {elapsed:0.0} s");
        foreach (var (sink, values) in windows.OrderBy(w => w.Key))
        {
            var sorted = values.Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{sink}: accepted by the channel → delivery recorded (a crash in it sends again): p50 {NearestRank(sorted, 0.5):0.0} ms, p99 {NearestRank(sorted, 0.99):0.0} ms, max {sorted[^1]:0.0} ms over {sorted.Count} deliveries"));
        }
        await orleans.StopAllSilosAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"leads={leads} leads_per_s={leads / elapsed:0.0} p50_ms={NearestRank(latencies, 0.50):0} p99_ms={NearestRank(latencies, 0.99):0} emails={emails} duplicates={duplicates}"));
        return 0;
    }

    private static double NearestRank(List<double> sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
