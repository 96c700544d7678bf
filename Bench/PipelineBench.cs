using System.Diagnostics;
using System.Globalization;
using Grains.Conversations;
using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tiers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using Streaming.Kafka.Embedded;

namespace Bench;

/// <summary>
/// Drives N chat turns through the whole pipeline (five Kafka hops, every stage a grain) on the
/// embedded cluster with the deterministic catalog model, and compares the throughput with the raw
/// produce→consume ceiling measured in the same run with the same client.
/// </summary>
internal static class PipelineBench
{
    /// <summary>raw → cleaned → agent.requests.{tier} → agent.responses.raw → agent.responses.final.</summary>
    private const int Hops = 5;

    public static async Task<int> RunAsync(string[] args)
    {
        var turns = BenchArgs.Int(args, "--turns", 2000);
        var sessions = Math.Clamp(BenchArgs.Int(args, "--sessions", 500), 1, turns);
        var rawMessages = BenchArgs.Int(args, "--raw", 50_000);
        // The pulling agents' long poll (KafkaStreamOptions.ReceiveWait); unset: the product's default.
        var receiveWait = args.Contains("--receive-wait-ms") ? TimeSpan.FromMilliseconds(BenchArgs.Int(args, "--receive-wait-ms", 0)) : (TimeSpan?)null;
        var perSession = (int)Math.Ceiling(turns / (double)sessions);
        if (perSession > ConversationLimits.MaxMessagesPerWindow)
        {
            Console.Error.WriteLine($"--turns/--sessions must be at most {ConversationLimits.MaxMessagesPerWindow} (the per-session rate limit).");
            return 2;
        }

        using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        Console.WriteLine($"Embedded Kafka: {cluster.BrokerCount} brokers at {cluster.BootstrapServers}; {Environment.ProcessorCount} cores");

        var raw = RawKafkaCeiling.Measure(cluster, rawMessages, partitions: 4);
        Console.WriteLine($"Raw Kafka hop ceiling: {raw:0} events/s ({rawMessages} events, 4 partitions, idempotent producer, acks=all)");

        var measured = await MeasureAsync(cluster, "bench.", sessions, perSession, turns, freeEmbeddings: false, receiveWait);
        // The same pipeline again, every text given one precomputed vector: what the platform costs if the embedding
        // model cost nothing (every rule, head and topic check still runs, on that vector).
        var free = await MeasureAsync(cluster, "bench-free.", sessions, perSession, turns, freeEmbeddings: true, receiveWait);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Without the embedding model's inference (same run, second): turns_per_s={free.Throughput:0.0} efficiency={free.Throughput / (raw / Hops):0.000} p50_ms={free.P50:0.0} p99_ms={free.P99:0.0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"turns_per_s={measured.Throughput:0.0} raw_ceiling_per_s={raw:0} hops={Hops} efficiency={measured.Throughput / (raw / Hops):0.000} p50_ms={measured.P50:0.0} p99_ms={measured.P99:0.0}"));
        return 0;
    }

    private static async Task<(double Throughput, double P50, double P99)> MeasureAsync(EmbeddedKafkaCluster cluster, string prefix, int sessions, int perSession, int turns,
        bool freeEmbeddings, TimeSpan? receiveWait)
    {
        var builder = new InProcessTestClusterBuilder(1);
        var kafka = new PlatformKafkaOptions { BootstrapServers = cluster.BootstrapServers, TopicPrefix = prefix, Embedded = cluster };
        var fixedVector = freeEmbeddings ? await FixedVectorEmbeddings.CreateAsync() : null;
        builder.ConfigureSilo((_, silo) =>
        {
            if (fixedVector is not null) silo.Services.AddSingleton(new Grains.Guardrails.Embeddings.TextEmbedder(fixedVector, TimeSpan.FromSeconds(5), "fixed-vector"));
            silo.AddAgentPlatform(kafka);
            if (receiveWait is { } wait) silo.Services.PostConfigureAll<Streaming.Kafka.KafkaStreamOptions>(o => o.ReceiveWait = wait);
            // 2 000 turns in seconds would exceed the tenant's rate limit: this measures the pipeline, not quotas.
            silo.Services.Configure<Grains.Scheduling.QuotaOptions>(o => o.Free = o.Pro = o.Enterprise = new Grains.Scheduling.QuotaLimits());
        });
        builder.ConfigureSiloHost((_, host) => host.Logging.SetMinimumLevel(LogLevel.Warning));
        await using var orleans = builder.Build();
        await orleans.DeployAsync();
        var client = orleans.Client;
        var tier = client.GetGrain<ITierGrain>(nameof(Tier.Enterprise));

        // Warm-up: enough turns for the hot paths to reach the JIT's optimised tier and for the Kafka clients to settle
        // (20 turns left the first phase paying for the process's compilation, which the second then did not), with texts
        // the measured turns do not use, so the model's recent texts do not answer for them. Then a clean period.
        await DriveAsync(client, tier, sessions: 100, perSession: 3, "warm", textsFrom: Texts - 300);
        await tier.Reset();

        var embedder = orleans.Silos[0].ServiceProvider.GetRequiredService<Grains.Guardrails.Embeddings.TextEmbedder>();
        var countsBefore = embedder.Counts;
        var clock = Stopwatch.StartNew();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var sent = await DriveAsync(client, tier, sessions, perSession, "run", turns);
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpuPerTurn = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / sent;
        var stats = await tier.GetStats();
        var counts = embedder.Counts;
        var label = freeEmbeddings ? "Without the embedding model's inference" : "Pipeline";
        Console.WriteLine($"{label}: {sent} turns over {sessions} sessions in {elapsed:0.00} s; outcomes {string.Join(", ", stats.Outcomes.Select(kv => $"{kv.Key}={kv.Value}"))}");
        // Process CPU (every thread: Kafka clients and brokers, Orleans, the bench's own calls) per turn: steadier than
        // turns/s on a shared machine, where time stolen by neighbours lowers throughput but not the work done.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  CPU: {cpuPerTurn:0.00} ms per turn ({Environment.ProcessorCount} cores)"));
        if (!freeEmbeddings)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  embedding model: {(counts.Embedded - countsBefore.Embedded) / (double)sent:0.00} texts embedded per turn, {(counts.Reused - countsBefore.Reused) / (double)sent:0.00} answered from recent texts"));
        Console.WriteLine($"  end to end incl. model: p50 {stats.P50Ms:0.0} ms, p99 {stats.P99Ms:0.0} ms; excluding model time: p50 {stats.PipelineP50Ms:0.0} ms, p99 {stats.PipelineP99Ms:0.0} ms");
        await orleans.StopAllSilosAsync();
        return (sent / elapsed, stats.PipelineP50Ms, stats.PipelineP99Ms);
    }

    private static readonly string[] Openers = ["Hello,", "Hi,", "Good morning,", "Good evening,", "Quick question,", "Hey there,", "Dear team,", "Excuse me,"];
    private static readonly string[] Days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] Times = ["morning", "afternoon", "evening", "lunchtime", "weekend"];
    private static readonly string[] Closers = ["Thanks!", "Thank you.", "Cheers.", "Many thanks in advance.", "Kind regards.", "Best wishes."];

    /// <summary>
    /// Every message its own text, as live traffic is (8 openers × 5 questions × 6 days × 5 times × 6 closers = 7,200),
    /// so the embedding model's recent texts answer only for what the pipeline itself repeats.
    /// </summary>
    private const int Texts = 7_200;

    private static string Message(int i, string[] questions) =>
        $"{Openers[i % 8]} {questions[i / 8 % questions.Length]} I could come in on {Days[i / 40 % 6]} {Times[i / 240 % 5]}. {Closers[i / 1200 % 6]}";

    /// <summary>Opens sessions, sends their turns (all at once, within the rate limit) and waits until the tier has counted every answer.</summary>
    private static async Task<int> DriveAsync(IClusterClient client, ITierGrain tier, int sessions, int perSession, string tag, int? limit = null, int textsFrom = 0)
    {
        var before = (await tier.GetStats()).Turns;
        var questions = new[] { "Which electric car do you have?", "Tell me about the GLC please.", "What does servicing of a C-Class cost?", "Do you have a sedan for a family?", "Can I book a test drive?" };
        var total = limit ?? sessions * perSession;
        var grains = Enumerable.Range(0, sessions).Select(i => client.GetGrain<IConversationGrain>($"bench-{tag}-{i}-{Guid.NewGuid():N}")).ToList();
        await Task.WhenAll(grains.Select(g => g.Open("stuttgart-motors")));
        var sent = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, total), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
        {
            var result = await grains[i % sessions].Send(Message(textsFrom + i, questions));
            if (!result.Accepted) throw new InvalidOperationException("bench turn refused: " + result.Error);
            Interlocked.Increment(ref sent);
        });
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while ((await tier.GetStats()).Turns - before < sent)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"only {(await tier.GetStats()).Turns - before} of {sent} turns were answered within 5 minutes");
            await Task.Delay(20);
        }
        // A refused bench message is a guardrail's false positive on ordinary questions: say which, so it can be looked at.
        var refused = new List<string>();
        foreach (var g in grains.Take(200))
            if (await g.View() is { } view)
                refused.AddRange(view.Lines.Where(l => l.Status == Grains.Conversations.LineStatus.Rejected).Select(l => $"{l.Text} [{l.Note}]"));
        foreach (var line in refused.Take(3)) Console.WriteLine("  refused: " + line);
        return sent;
    }
}
