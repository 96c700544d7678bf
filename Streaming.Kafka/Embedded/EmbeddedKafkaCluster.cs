using System.Runtime.InteropServices;
using System.Text;

namespace Streaming.Kafka.Embedded;

/// <summary>
/// An in-process Kafka cluster: librdkafka's mock cluster, listening on loopback TCP so that any
/// Kafka client (another silo, kcat, a Python service) can reach it by its bootstrap address.
/// It keeps data in memory only and disappears with the process. Used when no
/// <c>Kafka:BootstrapServers</c> is configured, and by the tests.
/// </summary>
public sealed unsafe class EmbeddedKafkaCluster : IDisposable
{
    private readonly Lock _gate = new();
    private nint _rk;
    private nint _mockCluster;

    private EmbeddedKafkaCluster(nint rk, nint mockCluster, string bootstrapServers, int brokers, int defaultPartitions)
    {
        _rk = rk;
        _mockCluster = mockCluster;
        BootstrapServers = bootstrapServers;
        BrokerCount = brokers;
        DefaultPartitions = defaultPartitions;
    }

    /// <summary>Comma-separated loopback addresses of the mock brokers.</summary>
    public string BootstrapServers { get; }

    public int BrokerCount { get; }

    public int DefaultPartitions { get; }

    public bool IsRunning => _mockCluster != 0;

    /// <summary>Starts a mock cluster with <paramref name="brokers"/> brokers on 127.0.0.1.</summary>
    public static EmbeddedKafkaCluster Start(int brokers = 3, int defaultPartitions = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        LibrdkafkaNative.EnsureLoaded();

        var conf = LibrdkafkaNative.ConfNew();
        Set(conf, "client.id", "embedded-kafka-host");
        // Keep the host handle quiet: it never connects anywhere, it only owns the mock brokers.
        Set(conf, "log_level", "3");
        var errstr = stackalloc byte[512];
        var rk = LibrdkafkaNative.KafkaNew(0 /* RD_KAFKA_PRODUCER */, conf, errstr, 512);
        if (rk == 0)
            throw new InvalidOperationException("librdkafka refused to create the mock cluster's host handle: " +
                                                Marshal.PtrToStringUTF8((nint)errstr));

        var mc = LibrdkafkaNative.MockClusterNew(rk, brokers);
        if (mc == 0)
        {
            LibrdkafkaNative.KafkaDestroy(rk);
            throw new InvalidOperationException("librdkafka could not start its mock cluster (rd_kafka_mock_cluster_new returned null).");
        }

        var bootstraps = Marshal.PtrToStringUTF8(LibrdkafkaNative.MockClusterBootstraps(mc))
                         ?? throw new InvalidOperationException("The mock cluster reported no bootstrap address.");
        return new EmbeddedKafkaCluster(rk, mc, bootstraps, brokers, defaultPartitions);
    }

    /// <summary>
    /// Creates a topic. The mock cluster's controller does not answer the Admin API's CreateTopics,
    /// so topics are created through the mock API. Creating an existing topic is a no-op.
    /// </summary>
    public void CreateTopic(string topic, int partitions = 0, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        if (partitions <= 0) partitions = DefaultPartitions;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_mockCluster == 0, this);
            var bytes = Encoding.UTF8.GetBytes(topic + "\0");
            fixed (byte* name = bytes)
            {
                var err = LibrdkafkaNative.MockTopicCreate(_mockCluster, name, partitions,
                    Math.Min(replicationFactor, BrokerCount));
                // 36 = TOPIC_ALREADY_EXISTS: creating twice is harmless.
                if (err != 0 && err != 36)
                    throw new InvalidOperationException($"The embedded cluster could not create topic '{topic}' (librdkafka error {err}).");
            }
        }
    }

    /// <summary>
    /// Destroys the brokers. Every client connected to them must be disposed first, or librdkafka
    /// can abort the process at exit ("double free or corruption").
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_mockCluster != 0)
            {
                LibrdkafkaNative.MockClusterDestroy(_mockCluster);
                _mockCluster = 0;
            }
            if (_rk != 0)
            {
                LibrdkafkaNative.KafkaDestroy(_rk);
                _rk = 0;
            }
        }
    }

    private static void Set(nint conf, string key, string value)
    {
        if (!LibrdkafkaNative.TrySet(conf, key, value, out var error))
            throw new InvalidOperationException($"librdkafka rejected {key}={value}: " + error);
    }
}

/// <summary>Lets stream providers create topics on the embedded cluster (its controller ignores the Admin API).</summary>
public sealed class EmbeddedTopicCreator(EmbeddedKafkaCluster cluster) : Providers.IKafkaTopicCreator
{
    public void CreateTopic(string topic, int partitions, int replicationFactor) => cluster.CreateTopic(topic, partitions, replicationFactor);
}
