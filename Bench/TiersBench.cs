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
/// Does enterprise keep its latency when free floods the model? Enterprise and pro chat at steady
/// rates through the whole pipeline (embedded Kafka, every stage a grain) against a model stub that
/// takes a fixed time per call; first alone (baseline), then while free sends 5× what the backend
/// can serve. Both phases run in the same process, one after the other, so the ratio compares like
/// with like on a noisy machine.
/// </summary>
internal static class TiersBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var slots = BenchArgs.Int(args, "--slots", 4);
        var callMs = BenchArgs.Int(args, "--call-ms", 200);
        var seconds = BenchArgs.Int(args, "--seconds", 15);
        var enterpriseRate = BenchArgs.Int(args, "--enterprise-rps", 3);
        var proRate = BenchArgs.Int(args, "--pro-rps", 3);
        var capacity = slots * 1000.0 / callMs;
        var freeRate = (int)Math.Round(5 * capacity);

        using var kafkaCluster = EmbeddedKafkaCluster.Start(brokers: 3);
        Console.WriteLine($"Embedded Kafka: {kafkaCluster.BrokerCount} brokers; {Environment.ProcessorCount} cores");
        Console.WriteLine($"Model stub: {callMs} ms per call, {slots} concurrent calls → capacity {capacity:0} calls/s; enterprise {enterpriseRate}/s, pro {proRate}/s, free flood {freeRate}/s (5× capacity), {seconds} s per phase");

        var builder = new InProcessTestClusterBuilder(1);
        var kafka = new PlatformKafkaOptions { BootstrapServers = kafkaCluster.BootstrapServers, TopicPrefix = "tiers.", Embedded = kafkaCluster, Partitions = 8 };
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<IChatClient>(new FixedTimeModel(TimeSpan.FromMilliseconds(callMs)));
            silo.AddAgentPlatform(kafka);
            silo.Services.Configure<SchedulerOptions>(o =>
            {
                o.Backends = [new BackendOptions { Name = "default", MaxConcurrency = slots }];
                o.Enterprise.ReservedSlots = 1;
                o.Pro.ReservedSlots = 1;
            });
            // Quotas would refuse the flood before it reaches the scheduler: this measures the scheduler.
            silo.Services.Configure<QuotaOptions>(o => o.Free = o.Pro = o.Enterprise = new QuotaLimits());
        });
        builder.ConfigureSiloHost((_, host) => host.Logging.SetMinimumLevel(LogLevel.Warning));
        await using var orleans = builder.Build();
        await orleans.DeployAsync();
        var client = orleans.Client;

        await PhaseAsync(client, "warm-up", 3, enterpriseRate, proRate, 0);
        var baseline = await PhaseAsync(client, "unloaded", seconds, enterpriseRate, proRate, 0);
        var flood = await PhaseAsync(client, "free flood", seconds, enterpriseRate, proRate, freeRate);
        await orleans.StopAllSilosAsync();

        var enterpriseRatio = flood[Tier.Enterprise].P99Ms / baseline[Tier.Enterprise].P99Ms;
        var proRatio = flood[Tier.Pro].P99Ms / baseline[Tier.Pro].P99Ms;
        var free = flood[Tier.Free];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"enterprise_p99_ratio={enterpriseRatio:0.00} enterprise_shed={flood[Tier.Enterprise].Shed} pro_p99_ratio={proRatio:0.00} free_served={free.Outcomes.GetValueOrDefault(TurnOutcome.Answered)} free_shed={free.Shed}"));
        return 0;
    }

    private static async Task<Dictionary<Tier, TierStats>> PhaseAsync(IClusterClient client, string phase, int seconds, int enterpriseRate, int proRate, int freeRate)
    {
        var tiers = Enum.GetValues<Tier>().ToDictionary(t => t, t => client.GetGrain<ITierGrain>(t.ToString()));
        foreach (var grain in tiers.Values) await grain.Reset();
        var sent = new Dictionary<Tier, int>();
        var clock = Stopwatch.StartNew();
        var senders = new List<Task<int>>
        {
            SendAtRateAsync(client, "stuttgart-motors", "Which electric car do you have?", enterpriseRate, seconds),
            SendAtRateAsync(client, "harbor-bank", "What does the Harbor Visa cost?", proRate, seconds),
            SendAtRateAsync(client, "velo-corner", "I need a new e-bike with a big battery", freeRate, seconds),
        };
        var counts = await Task.WhenAll(senders);
        sent[Tier.Enterprise] = counts[0];
        sent[Tier.Pro] = counts[1];
        sent[Tier.Free] = counts[2];

        // Every accepted turn ends somewhere (answered, shed, failed): wait for all of them.
        var deadline = DateTime.UtcNow.AddMinutes(5);
        foreach (var (tier, count) in sent)
            while ((await tiers[tier].GetStats()).Turns < count)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{phase}: only {(await tiers[tier].GetStats()).Turns} of {count} {tier} turns ended within 5 minutes");
                await Task.Delay(50);
            }
        var stats = new Dictionary<Tier, TierStats>();
        foreach (var (tier, grain) in tiers) stats[tier] = await grain.GetStats();
        Console.WriteLine($"{phase} ({clock.Elapsed.TotalSeconds:0.0} s):");
        foreach (var tier in new[] { Tier.Enterprise, Tier.Pro, Tier.Free })
        {
            var s = stats[tier];
            if (sent[tier] == 0) continue;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {tier,-10} sent {sent[tier],5}  answered {s.Outcomes.GetValueOrDefault(TurnOutcome.Answered),5}  shed {s.Shed,5}  fallback {s.Fallback,3}  busy {s.Busy,3}  queue wait p50 {s.QueueP50Ms,7:0.0} p99 {s.QueueP99Ms,7:0.0} ms  end to end p50 {s.P50Ms,7:0.0} p99 {s.P99Ms,7:0.0} ms"));
        }
        return stats;
    }

    /// <summary>Sends at a fixed rate from a fresh session each time (the per-session limit would refuse a flood), without waiting for answers.</summary>
    private static async Task<int> SendAtRateAsync(IClusterClient client, string tenant, string question, int perSecond, int seconds)
    {
        if (perSecond <= 0) return 0;
        var total = perSecond * seconds;
        var interval = TimeSpan.FromSeconds(1.0 / perSecond);
        var clock = Stopwatch.StartNew();
        var sends = new List<Task<bool>>(total);
        for (var i = 0; i < total; i++)
        {
            var due = interval * i;
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
            sends.Add(SendOneAsync(client, tenant, question));
        }
        return (await Task.WhenAll(sends)).Count(accepted => accepted);
    }

    private static async Task<bool> SendOneAsync(IClusterClient client, string tenant, string question)
    {
        var chat = client.GetGrain<IConversationGrain>($"tiers-{tenant}-{Guid.NewGuid():N}");
        await chat.Open(tenant);
        var result = await chat.Send(question);
        return result.Accepted;
    }
}
