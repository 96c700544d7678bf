using Confluent.Kafka;

namespace Streaming.Kafka;

/// <summary>
/// Reads a topic from its beginning to the end offsets seen when the scan starts, with a plain consumer that is
/// assigned every partition (no consumer group membership, nothing committed): for tools that rebuild or check
/// something from the log while the platform runs.
/// </summary>
public static class KafkaTopicScan
{
    public static IEnumerable<ConsumeResult<byte[], byte[]>> ReadAll(string bootstrapServers, IReadOnlyDictionary<string, string> settings, string topic,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var common = new Dictionary<string, string>(settings) { ["bootstrap.servers"] = bootstrapServers };
        var config = new Dictionary<string, string>(common)
        {
            ["group.id"] = "scan-" + Guid.NewGuid().ToString("N"), // required by the client; never joined or committed
            ["enable.auto.commit"] = "false",
        };
        var wait = timeout ?? TimeSpan.FromSeconds(10);
        using var admin = new AdminClientBuilder(common).Build();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        var metadata = admin.GetMetadata(topic, wait).Topics.Single();
        if (metadata.Error.IsError) throw new KafkaException(metadata.Error);
        var ends = metadata.Partitions.ToDictionary(p => p.PartitionId, p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p.PartitionId), wait));
        var open = ends.Where(e => e.Value.High > e.Value.Low).Select(e => e.Key).ToHashSet();
        if (open.Count == 0) yield break;
        consumer.Assign(open.Select(p => new TopicPartitionOffset(topic, p, ends[p].Low)));
        var deadline = DateTime.UtcNow + wait;
        while (open.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (record?.Message is null)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{topic}: no record for {wait.TotalSeconds:0} s before the end offsets were reached");
                continue;
            }
            deadline = DateTime.UtcNow + wait;
            if (record.Offset.Value + 1 >= ends[record.Partition.Value].High) open.Remove(record.Partition.Value);
            yield return record;
        }
    }
}
