using System.Text;
using Orleans.Runtime;
using Orleans.Streams;

namespace Streaming.Kafka.Providers;

/// <summary>
/// Maps streams to queues where one queue is one (topic, partition). A stream's namespace names
/// its topic and its key picks the partition (murmur2), exactly where the adapter produces it.
/// Queues are spread evenly over the consistent ring so every Orleans balancer can use them.
/// </summary>
public sealed class KafkaQueueMapper : IConsistentRingStreamQueueMapper
{
    private readonly KafkaStreamOptions _options;
    private readonly IReadOnlyDictionary<string, int> _partitionsByTopic;
    private readonly Dictionary<QueueId, KafkaTopicPartition> _partitionByQueue = [];
    private readonly Dictionary<KafkaTopicPartition, QueueId> _queueByPartition = [];
    private readonly QueueId[] _queues;

    public KafkaQueueMapper(string providerName, KafkaStreamOptions options, IReadOnlyDictionary<string, int> partitionsByTopic)
    {
        _options = options;
        _partitionsByTopic = partitionsByTopic;
        var all = options.ConsumedTopics
            .SelectMany(t => Enumerable.Range(0, partitionsByTopic[t]).Select(p => new KafkaTopicPartition(t, p)))
            .ToArray();
        _queues = new QueueId[all.Length];
        var step = uint.MaxValue / (uint)Math.Max(1, all.Length);
        for (var i = 0; i < all.Length; i++)
        {
            var queue = QueueId.GetQueueId($"{providerName}/{all[i].Topic}", (uint)all[i].Partition, (uint)i * step);
            _queues[i] = queue;
            _partitionByQueue[queue] = all[i];
            _queueByPartition[all[i]] = queue;
        }
    }

    public IEnumerable<QueueId> GetAllQueues() => _queues;

    public QueueId GetQueueForStream(StreamId streamId)
    {
        var topic = _options.TopicForNamespace(streamId.GetNamespace());
        if (!_partitionsByTopic.TryGetValue(topic, out var count))
            throw new ArgumentException($"Stream namespace '{streamId.GetNamespace()}' is not one of this provider's topics ({string.Join(", ", _partitionsByTopic.Keys)}).", nameof(streamId));
        return _queueByPartition[new KafkaTopicPartition(topic, KafkaPartitioner.PartitionFor(streamId.Key.Span, count))];
    }

    public IEnumerable<QueueId> GetQueuesForRange(IRingRange range) =>
        _queues.Where(q => range.InRange(q.GetUniformHashCode()));

    public KafkaTopicPartition PartitionOf(QueueId queue) => _partitionByQueue[queue];

    public override string ToString() => string.Join(", ", _partitionsByTopic.Select(kv => $"{kv.Key}[{kv.Value}]"));
}

public readonly record struct KafkaTopicPartition(string Topic, int Partition)
{
    public override string ToString() => $"{Topic}[{Partition}]";
}
