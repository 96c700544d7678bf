using System.Diagnostics;
using System.Globalization;
using Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using Streaming.Kafka;
using Streaming.Kafka.Embedded;

namespace Bench;

/// <summary>
/// What a silo with nothing to do costs: the process's CPU time over a quiet period, as a share of one core, with every
/// stage's provider reading its topics. Two phases in one run, so the ratio compares like with like: pulling agents
/// that return at once from an empty partition (Orleans' own pacing, a read every 10 ms per partition) and ones that
/// wait up to 100 ms for the next message (<see cref="KafkaStreamOptions.ReceiveWait"/>).
/// </summary>
internal static class IdleBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = BenchArgs.Int(args, "--seconds", 20);
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        Console.WriteLine($"Embedded Kafka: {cluster.BrokerCount} brokers; {Environment.ProcessorCount} cores; {seconds} s per phase after 10 s to settle");
        var polling = await PhaseAsync(cluster, "no wait", TimeSpan.Zero, seconds);
        var waiting = await PhaseAsync(cluster, "receive wait", TimeSpan.FromMilliseconds(100), seconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"idle_cpu_pct_no_wait={polling:0.0} idle_cpu_pct_receive_wait={waiting:0.0} ratio={waiting / polling:0.00}"));
        return 0;
    }

    private static async Task<double> PhaseAsync(EmbeddedKafkaCluster cluster, string name, TimeSpan receiveWait, int seconds)
    {
        var builder = new InProcessTestClusterBuilder(1);
        var kafka = new PlatformKafkaOptions { BootstrapServers = cluster.BootstrapServers, TopicPrefix = $"idle{Guid.NewGuid():N}."[..14], Embedded = cluster };
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAgentPlatform(kafka);
            silo.Services.PostConfigureAll<KafkaStreamOptions>(o => o.ReceiveWait = receiveWait);
        });
        builder.ConfigureSiloHost((_, host) => host.Logging.SetMinimumLevel(LogLevel.Warning));
        await using var orleans = builder.Build();
        await orleans.DeployAsync();
        await Task.Delay(TimeSpan.FromSeconds(10)); // partitions attached, activations settled

        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        process.Refresh();
        var share = 100 * (process.TotalProcessorTime - cpu).TotalSeconds / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {share:0.0} % of one core while idle"));
        await orleans.StopAllSilosAsync();
        return share;
    }
}
