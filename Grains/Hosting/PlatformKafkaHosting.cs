using Grains.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Streaming.Kafka.Embedded;

namespace Grains.Hosting;

/// <summary>
/// Decides which Kafka the host talks to. With <c>Kafka:BootstrapServers</c> set: that cluster (SASL/SSL
/// and other librdkafka settings under <c>Kafka:Settings</c>). Without: an embedded cluster on
/// loopback, in memory only, whose address is logged, written to a file for kcat and other
/// processes, and shown on <c>/health/kafka</c>.
/// </summary>
public static class PlatformKafkaHosting
{
    public static PlatformKafkaOptions AddPlatformKafka(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Kafka");
        var options = Read(section);
        if (string.IsNullOrWhiteSpace(options.BootstrapServers) && LocalCluster.RunningKafka(BootstrapFileOf(section)) is { } running)
        {
            // Beside a running host: its embedded Kafka, not a second one (and its bootstrap file stays as it is).
            options.BootstrapServers = running;
            builder.Services.AddHostedService(sp => new Announcement(() => sp.GetRequiredService<ILogger<EmbeddedKafkaCluster>>().LogWarning(
                "Using the embedded Kafka of the host already running on this machine, at {Bootstrap} (from {File}); it stops with that host. " +
                "Set Kafka:BootstrapServers for a Kafka of your own.", running, BootstrapFileOf(section))));
        }
        else if (string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            var cluster = StartEmbedded(section, options);
            // Disposed by the container after everything that was created later (the Kafka clients).
            builder.Services.AddSingleton(_ => cluster);
            builder.Services.AddHostedService(sp => new EmbeddedKafkaAnnouncer(sp.GetRequiredService<EmbeddedKafkaCluster>(), options.BootstrapFile!,
                sp.GetRequiredService<ILogger<EmbeddedKafkaCluster>>()));
        }
        builder.Services.AddSingleton(options);
        return options;
    }

    /// <summary>The <c>Kafka</c> section as options, without starting anything (BootstrapServers empty = embedded).</summary>
    public static PlatformKafkaOptions Read(IConfigurationSection section) => new()
    {
        BootstrapServers = section["BootstrapServers"] ?? "",
        TopicPrefix = section["TopicPrefix"] ?? "",
        Partitions = section.GetValue("Partitions", 4),
        ClientSettings = section.GetSection("Settings").GetChildren().ToDictionary(c => c.Key, c => c.Value ?? ""),
        ReceiveWait = section.GetValue<TimeSpan?>("ReceiveWait"),
        FetchWait = section.GetValue<TimeSpan?>("FetchWait"),
    };

    /// <summary>
    /// Starts the embedded cluster with the platform's topics and writes its address to the bootstrap file. Also
    /// <c>dotnet run --project Silo -- kafka</c>: the cluster in a process of its own, for silos and portals to share.
    /// </summary>
    public static EmbeddedKafkaCluster StartEmbedded(IConfigurationSection section, PlatformKafkaOptions options)
    {
        var cluster = EmbeddedKafkaCluster.Start(brokers: section.GetValue("Embedded:Brokers", 3), defaultPartitions: options.Partitions);
        foreach (var topic in Topics.All) cluster.CreateTopic(options.TopicPrefix + topic, topic == Topics.DeadLetter ? 1 : options.Partitions);
        options.BootstrapServers = cluster.BootstrapServers;
        options.Embedded = cluster;
        options.BootstrapFile = BootstrapFileOf(section);
        Directory.CreateDirectory(Path.GetDirectoryName(options.BootstrapFile)!);
        File.WriteAllText(options.BootstrapFile, cluster.BootstrapServers + Environment.NewLine);
        return cluster;
    }

    public static string DefaultBootstrapFile => Path.Combine(Path.GetTempPath(), "agent-platform", "kafka-bootstrap");

    public static string BootstrapFileOf(IConfigurationSection section) => section["Embedded:BootstrapFile"] ?? DefaultBootstrapFile;

    private sealed class Announcement(Action log) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            log();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class EmbeddedKafkaAnnouncer(EmbeddedKafkaCluster cluster, string file, ILogger logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            logger.LogWarning("Embedded Kafka cluster ({Brokers} brokers, librdkafka mock) at {Bootstrap} — data is kept IN MEMORY ONLY and lost at exit. " +
                              "Address written to {File}; try: kcat -b {Bootstrap} -L. Set Kafka:BootstrapServers to use a real cluster.",
                cluster.BrokerCount, cluster.BootstrapServers, file, cluster.BootstrapServers);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            // The file must not outlive the cluster it names: the next host would try a dead address first.
            LocalCluster.Withdraw(file, cluster.BootstrapServers);
            return Task.CompletedTask;
        }
    }
}
