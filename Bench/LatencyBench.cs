using System.Diagnostics;
using System.Globalization;
using Grains.Conversations;
using Grains.Hosting;
using Grains.Pipeline;
using Grains.Scheduling;
using Grains.Tiers;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using Streaming.Kafka.Embedded;

namespace Bench;

/// <summary>
/// What the platform adds to a customer's wait. An open-loop load — turns sent at a fixed rate, whatever the answers
/// do — through the whole chat pipeline (embedded Kafka, every stage a grain, the default guardrail chains with the
/// embedding model) against a model stub of fixed time, with enough model slots that nothing queues for the model.
/// Overhead per turn = end to end (send accepted → answer delivered) minus the model call, as the tier's figures
/// record it. In the same run, the floor: one Kafka hop's produce→consume time, open loop at the same rate, with the
/// provider's client settings.
/// </summary>
internal static class LatencyBench
{
    /// <summary>raw → cleaned → agent.requests.{tier} → agent.responses.raw → agent.responses.final.</summary>
    private const int Hops = 5;

    public static async Task<int> RunAsync(string[] args)
    {
        var rate = BenchArgs.Int(args, "--rate", 200);
        var seconds = BenchArgs.Int(args, "--seconds", 20);
        var modelMs = BenchArgs.Int(args, "--model-ms", 50);
        var warmSeconds = BenchArgs.Int(args, "--warm-seconds", 5);
        // The pulling agents' long poll (KafkaStreamOptions.ReceiveWait); unset: the product's default.
        var receiveWait = args.Contains("--receive-wait-ms") ? TimeSpan.FromMilliseconds(BenchArgs.Int(args, "--receive-wait-ms", 0)) : (TimeSpan?)null;
        // With --hops, every platform span is recorded and summarised per hop and stage (it costs a little itself).
        using var hops = args.Contains("--hops") ? new HopProfile() : null;
        if (rate <= 0 || seconds <= 0 || modelMs < 0)
        {
            Console.Error.WriteLine("latency: --rate and --seconds must be positive, --model-ms at least 0");
            return 2;
        }
        // Twice the slots the rate needs: the model never queues, so queue wait is not counted as plumbing.
        var slots = Math.Max(4, (int)Math.Ceiling(2.0 * rate * Math.Max(modelMs, 1) / 1000));
        // Each session stays under the per-session limit (5 messages per 10 s): one turn per 2.5 s.
        var sessions = Math.Max(1, (int)Math.Ceiling(rate * 2.5));

        using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        Console.WriteLine($"Embedded Kafka: {cluster.BrokerCount} brokers; {Environment.ProcessorCount} cores; model stub {modelMs} ms, {slots} slots; {sessions} sessions");

        var rawHop = RawKafkaHop.Measure(cluster, rate, Math.Max(200, rate * Math.Min(seconds, 10)), partitions: 4);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Raw Kafka hop (produce → consume, open loop at {rate}/s, {rawHop.Count} events): p50 {Percentile(rawHop, 0.50):0.00} ms, p99 {Percentile(rawHop, 0.99):0.00} ms"));

        var builder = new InProcessTestClusterBuilder(1);
        var kafka = new PlatformKafkaOptions { BootstrapServers = cluster.BootstrapServers, TopicPrefix = "latency.", Embedded = cluster };
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<IChatClient>(new FixedTimeModel(TimeSpan.FromMilliseconds(modelMs)));
            silo.AddAgentPlatform(kafka);
            if (receiveWait is { } wait) silo.Services.PostConfigureAll<Streaming.Kafka.KafkaStreamOptions>(o => o.ReceiveWait = wait);
            silo.Services.Configure<SchedulerOptions>(o => o.Backends = [new BackendOptions { Name = "default", MaxConcurrency = slots }]);
            // A load test of the pipeline, not of the tenant's quota.
            silo.Services.Configure<QuotaOptions>(o => o.Free = o.Pro = o.Enterprise = new QuotaLimits());
        });
        builder.ConfigureSiloHost((_, host) => host.Logging.SetMinimumLevel(LogLevel.Warning));
        await using var orleans = builder.Build();
        await orleans.DeployAsync();
        var client = orleans.Client;
        var tier = client.GetGrain<ITierGrain>(nameof(Tier.Enterprise)); // stuttgart-motors is an enterprise tenant

        var chats = Enumerable.Range(0, sessions).Select(i => client.GetGrain<IConversationGrain>($"latency-{i}-{Guid.NewGuid():N}")).ToList();
        await Task.WhenAll(chats.Select(c => c.Open("stuttgart-motors")));

        // Warm-up at the same rate (code paths, activations, Kafka clients), then a clean measuring period.
        await LoadAsync(chats, tier, rate, warmSeconds, offset: 0);
        await tier.Reset();
        hops?.Record();
        var (sent, lateSends) = await LoadAsync(chats, tier, rate, seconds, offset: rate * warmSeconds);
        var stats = await tier.GetStats();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Pipeline: {sent} turns at {rate}/s for {seconds} s ({lateSends} sent over 10 ms late by this client); outcomes {string.Join(", ", stats.Outcomes.Select(kv => $"{kv.Key}={kv.Value}"))}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"End to end incl. model: p50 {stats.P50Ms:0.0} ms, p99 {stats.P99Ms:0.0} ms; model queue wait p50 {stats.QueueP50Ms:0.0} ms; overhead (end to end − model call) p50 {stats.PipelineP50Ms:0.0} ms, p99 {stats.PipelineP99Ms:0.0} ms"));
        var goal = 1.5 * Hops * Percentile(rawHop, 0.50);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Goal at 200/s: overhead p50 ≤ 1.5 × {Hops} × raw hop p50 = {goal:0.0} ms (now {stats.PipelineP50Ms / goal:0.0}× that), p99 ≤ 25 ms"));
        hops?.Print();
        await orleans.StopAllSilosAsync();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rate={rate} turns={sent} overhead_p50_ms={stats.PipelineP50Ms:0.0} overhead_p99_ms={stats.PipelineP99Ms:0.0} raw_hop_p50_ms={Percentile(rawHop, 0.50):0.00} hops={Hops}"));
        return 0;
    }

    /// <summary>
    /// Sends one turn every 1/rate s for <paramref name="seconds"/> (a late tick sends at once, never skips), round
    /// robin over the sessions, without waiting for answers; then waits until the tier has counted every one.
    /// </summary>
    private static async Task<(int Sent, int Late)> LoadAsync(List<IConversationGrain> chats, ITierGrain tier, int rate, int seconds, int offset)
    {
        string[] questions = ["Which electric car do you have?", "Tell me about the GLC please", "What does servicing cost?", "Do you have a sedan for a family?", "Can I book a test drive?"];
        var before = (await tier.GetStats()).Turns;
        var total = rate * seconds;
        var sends = new List<Task<SendResult>>(total);
        var late = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            else if (wait < TimeSpan.FromMilliseconds(-10)) late++;
            var n = offset + i;
            sends.Add(chats[n % chats.Count].Send(questions[n % questions.Length]));
        }
        var results = await Task.WhenAll(sends);
        if (results.FirstOrDefault(r => !r.Accepted) is { } refused) throw new InvalidOperationException("a turn was refused: " + refused.Error);
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while ((await tier.GetStats()).Turns - before < total)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"only {(await tier.GetStats()).Turns - before} of {total} turns were answered within 5 minutes");
            await Task.Delay(20);
        }
        return (total, late);
    }

    internal static double Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
