using Confluent.Kafka;
using Streaming.Kafka.Embedded;

namespace Grains.Tests.Infrastructure;

/// <summary>
/// The Kafka the tests talk to: the embedded cluster (librdkafka's mock brokers on loopback), a real
/// broker when KAFKA_BOOTSTRAP_SERVERS is set, or an Apache Kafka container under <see cref="TestContainers"/>. Started once per test process and never
/// destroyed: destroying brokers while any client of any test still lives can abort the process.
/// </summary>
public static class TestKafka
{
    private static readonly Lazy<(string Servers, EmbeddedKafkaCluster? Cluster)> Instance = new(() =>
    {
        var external = Environment.GetEnvironmentVariable("KAFKA_BOOTSTRAP_SERVERS");
        if (!string.IsNullOrWhiteSpace(external)) return (external, null);
        if (TestContainers.InUse) return (TestContainers.KafkaBootstrapServers, null);
        var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        return (cluster.BootstrapServers, cluster);
    });

    public static string BootstrapServers => Instance.Value.Servers;

    public static EmbeddedKafkaCluster? Embedded => Instance.Value.Cluster;

    /// <summary>A topic prefix unique to one test, so tests never see each other's messages or offsets.</summary>
    public static string UniquePrefix() => "t" + Guid.NewGuid().ToString("N")[..10] + ".";

    public static IProducer<byte[], byte[]> PlainProducer() =>
        new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = BootstrapServers, LingerMs = 0 }).Build();

    public static IConsumer<byte[], byte[]> PlainConsumer(string groupId) =>
        new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = groupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();

    /// <summary>Everything a topic holds now: each partition read to its end (the high watermark), so "nothing there" is a real answer.</summary>
    public static List<ConsumeResult<byte[], byte[]>> ReadToEnd(string topic, int partitions)
    {
        using var consumer = PlainConsumer("reader-" + Guid.NewGuid().ToString("N"));
        var ends = Enumerable.Range(0, partitions)
            .Select(p => (Partition: new TopicPartition(topic, p), End: consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value))
            .Where(p => p.End > 0).ToList();
        consumer.Assign(ends.Select(p => new TopicPartitionOffset(p.Partition, Offset.Beginning)));
        var seen = new List<ConsumeResult<byte[], byte[]>>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        var left = ends.ToDictionary(p => p.Partition.Partition.Value, p => p.End);
        while (left.Count > 0 && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { IsPartitionEOF: false } r) continue;
            seen.Add(r);
            if (left.TryGetValue(r.Partition.Value, out var end) && r.Offset.Value + 1 >= end) left.Remove(r.Partition.Value);
        }
        consumer.Close();
        if (left.Count > 0) throw new TimeoutException($"{topic}: partitions {string.Join(", ", left.Keys)} not read to their end within 20 s");
        return seen;
    }

    /// <summary>Reads every message of a topic (all partitions from the start) until <paramref name="until"/> holds or the deadline passes.</summary>
    public static List<ConsumeResult<byte[], byte[]>> ReadTopic(string topic, int partitions, Func<List<ConsumeResult<byte[], byte[]>>, bool> until, TimeSpan? deadline = null)
    {
        using var consumer = PlainConsumer("reader-" + Guid.NewGuid().ToString("N"));
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var seen = new List<ConsumeResult<byte[], byte[]>>();
        var end = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(20));
        while (!until(seen) && DateTime.UtcNow < end)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (r is not null && !r.IsPartitionEOF) seen.Add(r);
        }
        consumer.Close();
        return seen;
    }

    public static long? CommittedOffset(string groupId, string topic, int partition)
    {
        using var consumer = PlainConsumer(groupId);
        var committed = consumer.Committed([new TopicPartition(topic, partition)], TimeSpan.FromSeconds(10));
        var offset = committed.Single().Offset;
        return offset == Offset.Unset ? null : offset.Value;
    }
}
