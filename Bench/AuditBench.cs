using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Grains.Audit;
using Grains.Control;
using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tiers;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using Streaming.Kafka.Embedded;
using Streaming.Kafka.Events;

namespace Bench;

/// <summary>
/// Fills the log with N turns written as the pipeline writes them (seven events a turn, on the topics the stages use),
/// lets the audit stage index them (the other stages paused: this measures the index, not the chat), then looks up
/// random conversations by session and by trace, each a full replay from Kafka checked complete, and times the
/// article's recipe for the same lookup: a temporary consumer group that scans every topic for the trace id.
/// </summary>
internal static class AuditBench
{
    private const int TurnsPerSession = 5;

    private static readonly (string Topic, string Type, string Step)[] TurnEvents =
    [
        (Topics.UserMessagesRaw, ChatEventTypes.MessageReceived, "received"),
        (Topics.GuardrailVerdicts, ChatEventTypes.GuardrailEvaluated, "input-guardrail.verdicts"),
        (Topics.UserMessagesCleaned, ChatEventTypes.MessageCleaned, "cleaned"),
        (Topics.AgentRequestsPro, ChatEventTypes.AgentRequested, "request"),
        (Topics.AgentResponsesRaw, ChatEventTypes.ResponseRaw, "response"),
        (Topics.GuardrailVerdicts, ChatEventTypes.GuardrailEvaluated, "output-guardrail.verdicts"),
        (Topics.AgentResponsesFinal, ChatEventTypes.ResponseFinal, "final"),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var turns = BenchArgs.Int(args, "--turns", 10_000);
        var lookups = BenchArgs.Int(args, "--lookups", 400);
        var scans = BenchArgs.Int(args, "--scans", 5);
        var partitions = BenchArgs.Int(args, "--partitions", 4);
        var sessions = Math.Max(1, turns / TurnsPerSession);
        var random = new Random(BenchArgs.Int(args, "--seed", 12));

        using var kafkaCluster = EmbeddedKafkaCluster.Start(brokers: 3);
        Console.WriteLine($"Embedded Kafka: {kafkaCluster.BrokerCount} brokers at {kafkaCluster.BootstrapServers}; {Environment.ProcessorCount} cores");
        var kafka = new PlatformKafkaOptions { BootstrapServers = kafkaCluster.BootstrapServers, TopicPrefix = "bench.", Embedded = kafkaCluster, Partitions = partitions };
        foreach (var topic in Topics.All) kafkaCluster.CreateTopic(kafka.TopicPrefix + topic, partitions);

        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddAgentPlatform(kafka));
        builder.ConfigureSiloHost((_, host) => host.Logging.SetMinimumLevel(LogLevel.Warning));
        await using var orleans = builder.Build();
        await orleans.DeployAsync();
        var control = orleans.Client.GetGrain<IControlGrain>(0);
        foreach (var stage in Stage.All.Where(s => s != Stage.Audit)) await control.PauseStage(stage.Name, "bench", "audit bench: index only");

        // The log, as the pipeline would have written it.
        var clock = Stopwatch.StartNew();
        var traces = new List<(string Session, string Trace)>(turns);
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, LingerMs = 5, Acks = Acks.All }).Build())
        {
            for (var i = 0; i < turns; i++)
            {
                var session = $"bench-{i % sessions:D6}";
                var turn = new ChatTurn
                {
                    TurnId = $"t{i:D7}", TenantId = "northwind-bikes", SessionId = session, Tier = Tier.Pro, Text = "Do you have a commuting bike?",
                    SubmittedAt = DateTimeOffset.UtcNow, TraceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
                    Answer = "The City Commuter 7 is our commuting bike.", ModelName = "bench",
                    Verdict = new Verdict("output-guardrail", VerdictDecision.Allow, "allow", "nothing to hold", "", PolicyVersion: 1),
                };
                traces.Add((session, turn.TraceId));
                foreach (var (topic, type, step) in TurnEvents)
                {
                    var e = type == ChatEventTypes.GuardrailEvaluated
                        ? ChatEvents.For(turn, type, step, "/bench") with { Data = "{\"turnId\":\"" + turn.TurnId + "\"}" }
                        : ChatEvents.For(turn, type, step, "/bench");
                    producer.Produce(kafka.TopicPrefix + topic, new Message<byte[], byte[]>
                    {
                        Key = Encoding.UTF8.GetBytes(session), Value = CloudEventKafkaMapping.ToValue(e), Headers = CloudEventKafkaMapping.ToHeaders(e),
                    });
                }
            }
            producer.Flush(TimeSpan.FromMinutes(2));
        }
        var events = turns * TurnEvents.Length;
        Console.WriteLine($"Log: {events} events ({turns} turns in {sessions} sessions) written in {clock.Elapsed.TotalSeconds:0.0} s");

        clock.Restart();
        await WaitForIndexAsync(kafka, partitions, TimeSpan.FromMinutes(20));
        Console.WriteLine($"Indexed by the audit stage in {clock.Elapsed.TotalSeconds:0.0} s ({events / clock.Elapsed.TotalSeconds:0} events/s)");

        var replay = AuditReplay.For(orleans.Silos[0].ServiceProvider);
        var timings = new List<double>(lookups);
        for (var q = 0; q < lookups; q++)
        {
            var (session, trace) = traces[random.Next(traces.Count)];
            var byTrace = q % 2 == 1;
            var watch = Stopwatch.StartNew();
            var found = byTrace ? await replay.TraceAsync(trace) : await replay.SessionAsync(session);
            timings.Add(watch.Elapsed.TotalMilliseconds);
            var expected = byTrace ? TurnEvents.Length : TurnEvents.Length * TurnsPerSession;
            if (found.Count != expected || found.Any(f => f.Event is null))
                throw new InvalidOperationException($"Lookup of {(byTrace ? "trace " + trace : "session " + session)} gave {found.Count} events ({found.Count(f => f.Event is null)} unreadable), expected {expected}");
        }
        timings.Sort();

        var scanTimes = new List<double>(scans);
        for (var s = 0; s < scans; s++)
        {
            var (_, trace) = traces[random.Next(traces.Count)];
            var watch = Stopwatch.StartNew();
            var found = ScanForTrace(kafka, trace);
            scanTimes.Add(watch.Elapsed.TotalMilliseconds);
            if (found != TurnEvents.Length) throw new InvalidOperationException($"The scan found {found} events of trace {trace}, expected {TurnEvents.Length}");
        }
        scanTimes.Sort();
        await orleans.StopAllSilosAsync();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"events={events} lookups={lookups} p50_ms={NearestRank(timings, 0.50):0.0} p99_ms={NearestRank(timings, 0.99):0.0} scan_p50_ms={NearestRank(scanTimes, 0.50):0}"));
        return 0;
    }

    private static double NearestRank(List<double> sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>Until the audit group has committed every written offset: every event is then in the index.</summary>
    private static async Task WaitForIndexAsync(PlatformKafkaOptions kafka, int partitions, TimeSpan deadline)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        using var probe = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "audit-bench-probe" }).Build();
        var all = Stage.Audit.Topics.SelectMany(t => Enumerable.Range(0, partitions).Select(p => new TopicPartition(kafka.TopicPrefix + t, p))).ToList();
        var ends = all.ToDictionary(tp => tp, tp => probe.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value);
        var end = DateTime.UtcNow + deadline;
        while (true)
        {
            var committed = (await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(kafka.TopicPrefix + Stage.Audit.Name, all)]))
                .Single().Partitions.ToDictionary(p => p.TopicPartition, p => p.Offset.Value);
            var behind = all.Sum(tp => Math.Max(0, ends[tp] - Math.Max(0, committed.GetValueOrDefault(tp, 0))));
            if (behind == 0) return;
            if (DateTime.UtcNow > end) throw new TimeoutException($"The audit stage is still {behind} events behind after {deadline.TotalMinutes:0} min");
            await Task.Delay(250);
        }
    }

    /// <summary>The article's recipe: a fresh consumer group reads every topic from the start, keeping the trace's events.</summary>
    private static int ScanForTrace(PlatformKafkaOptions kafka, string trace)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers, GroupId = "audit-scan-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false, EnablePartitionEof = true,
        };
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        var topics = Stage.Audit.Topics.Select(t => kafka.TopicPrefix + t).ToList();
        consumer.Subscribe(topics);
        var needle = Encoding.UTF8.GetBytes(trace);
        var found = 0;
        var partitionsLeft = -1;
        var finished = new HashSet<TopicPartition>();
        while (partitionsLeft != 0)
        {
            var result = consumer.Consume(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException("the scan stalled");
            if (partitionsLeft < 0 && consumer.Assignment.Count > 0) partitionsLeft = consumer.Assignment.Count;
            if (result.IsPartitionEOF)
            {
                if (finished.Add(result.TopicPartition)) partitionsLeft = consumer.Assignment.Count - finished.Count;
                continue;
            }
            if (result.Message.Headers.TryGetLastBytes("ce_traceparent", out var header) && header.AsSpan().IndexOf(needle) >= 0) found++;
        }
        consumer.Close();
        return found;
    }
}
