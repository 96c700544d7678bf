using Grains.Tests.Infrastructure;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.TestingHost;
using Streaming.Kafka;
using Streaming.Kafka.Events;
using Streaming.Kafka.Hosting;

namespace Grains.Tests.Streaming;

/// <summary>An in-process Orleans cluster whose "probe" provider reads topics of its own prefix on the test Kafka.</summary>
public sealed class ProbeCluster : IAsyncDisposable
{
    public const int DefaultPartitions = 4;

    private ProbeCluster(InProcessTestCluster cluster, string prefix, int partitions)
    {
        Cluster = cluster;
        Prefix = prefix;
        Partitions = partitions;
    }

    public int Partitions { get; }

    public InProcessTestCluster Cluster { get; }

    public string Prefix { get; }

    public string InTopic => Prefix + ProbeStreams.In;

    public string OutTopic => Prefix + ProbeStreams.Out;

    public string DeadLetterTopic => Prefix + "deadletter";

    public string GroupId => Prefix + "probe";

    public IClusterClient Client => Cluster.Client;

    /// <summary>
    /// Orleans' consistent-ring balancer places queues by hash, so with few partitions one silo may
    /// get them all; tests about sharing use many partitions, as a real deployment would.
    /// </summary>
    public static async Task<ProbeCluster> StartAsync(int silos = 1, int partitions = DefaultPartitions, string? prefix = null)
    {
        var Partitions = partitions;
        prefix ??= TestKafka.UniquePrefix();
        var embedded = TestKafka.Embedded;
        embedded?.CreateTopic(prefix + ProbeStreams.In, Partitions);
        embedded?.CreateTopic(prefix + ProbeStreams.Out, Partitions);
        embedded?.CreateTopic(prefix + "deadletter", 1);

        void Configure(KafkaStreamOptions o)
        {
            o.BootstrapServers = TestKafka.BootstrapServers;
            o.TopicPrefix = prefix;
            o.Topics = [ProbeStreams.In];
            o.ConsumerGroupId = prefix + "probe";
            o.DeadLetterTopic = prefix + "deadletter";
            o.CommitInterval = TimeSpan.Zero;
            o.PartitionsForNewTopics = Partitions;
        }

        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSilo((_, silo) => silo
            .AddMemoryGrainStorage("PubSubStore")
            .AddKafkaStreams(ProbeStreams.Provider, Configure));
        builder.ConfigureClient(client => client.AddKafkaStreams(ProbeStreams.Provider, Configure));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new ProbeCluster(cluster, prefix, partitions);
    }

    public IAsyncStream<CloudEvent> Stream(string key) =>
        Client.GetStreamProvider(ProbeStreams.Provider).GetStream<CloudEvent>(StreamId.Create(ProbeStreams.In, key));

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
