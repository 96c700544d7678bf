using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration.Overrides;
using Streaming.Kafka.Events;
using Streaming.Kafka.Providers;

namespace Streaming.Kafka;

/// <summary>Where an event is in Kafka: what an index keeps to read it back.</summary>
[GenerateSerializer, Immutable]
public sealed record KafkaPosition([property: Id(0)] string Topic, [property: Id(1)] int Partition, [property: Id(2)] long Offset)
{
    public override string ToString() => $"{Topic}[{Partition}]@{Offset}";
}

/// <summary>What reading a position gave: the event, or why there is none (the topic no longer retains it).</summary>
public sealed record KafkaReadResult(KafkaPosition Position, CloudEvent? Event, string? Missing)
{
    public bool Expired => Missing is not null;
}

/// <summary>
/// Reads events at known positions (an audit index's) straight from Kafka: assign and seek to each offset, no scan,
/// no consumer group, nothing committed, so it never disturbs the pipeline. A position below the partition's low
/// watermark (deleted by retention) or past its end comes back with the reason, never silently left out.
/// </summary>
public sealed class KafkaEventReader(KafkaStreamOptions options)
{
    public static KafkaEventReader For(IServiceProvider services, string providerName) =>
        new(services.GetOptionsByName<KafkaStreamOptions>(providerName));

    /// <summary>One result per position, in the order given.</summary>
    public async Task<IReadOnlyList<KafkaReadResult>> ReadAsync(IReadOnlyList<KafkaPosition> positions, CancellationToken cancellationToken = default)
    {
        if (positions.Count == 0) return [];
        return await Task.Run(() => Read(positions, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Why an offset cannot be read from a partition holding [low, high), or null when it can.</summary>
    internal static string? Unavailable(int partition, long offset, long low, long high) =>
        offset < low ? $"expired: partition {partition} of the topic retains offsets {low} and up (retention deleted the rest)"
        : offset >= high ? $"not in the log: partition {partition} ends at offset {high}"
        : null;

    private IReadOnlyList<KafkaReadResult> Read(IReadOnlyList<KafkaPosition> positions, CancellationToken cancellationToken)
    {
        var config = KafkaClientConfig.Consumer(options, "event-reader-" + Guid.NewGuid().ToString("N"));
        config.EnableAutoCommit = false;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        var found = new Dictionary<KafkaPosition, KafkaReadResult>();

        // Per partition, the wanted offsets in order: one assignment, a seek only where they are not consecutive.
        var wanted = positions.Distinct()
            .GroupBy(p => new TopicPartition(p.Topic, p.Partition))
            .ToDictionary(g => g.Key, g => new Queue<long>(g.Select(p => p.Offset).Order()));
        foreach (var (partition, offsets) in wanted.ToList())
        {
            var marks = consumer.QueryWatermarkOffsets(partition, options.StartupTimeout);
            while (offsets.Count > 0 && Unavailable(partition.Partition.Value, offsets.Peek(), marks.Low.Value, marks.High.Value) is { } why)
            {
                var position = new KafkaPosition(partition.Topic, partition.Partition.Value, offsets.Dequeue());
                found[position] = new(position, null, why);
            }
            if (offsets.Count == 0) wanted.Remove(partition);
        }
        if (wanted.Count > 0)
        {
            consumer.IncrementalAssign(wanted.Select(w => new TopicPartitionOffset(w.Key, new Offset(w.Value.Peek()))));
            var deadline = DateTime.UtcNow + options.StartupTimeout;
            while (wanted.Count > 0 && DateTime.UtcNow < deadline)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is null || result.IsPartitionEOF || !wanted.TryGetValue(result.TopicPartition, out var offsets)) continue;
                var at = result.Offset.Value;
                while (offsets.Count > 0 && offsets.Peek() < at)
                {
                    // A wanted offset that is not a message (a transaction marker, a compacted record).
                    var gone = offsets.Dequeue();
                    found[new KafkaPosition(result.Topic, result.Partition.Value, gone)] = new(new(result.Topic, result.Partition.Value, gone), null, "not a message any more (compacted or a control record)");
                }
                if (offsets.Count > 0 && offsets.Peek() == at)
                {
                    offsets.Dequeue();
                    var position = new KafkaPosition(result.Topic, result.Partition.Value, at);
                    found[position] = CloudEventKafkaMapping.TryParse(result.Message.Headers, result.Message.Value, CloudEventKafkaMapping.WrittenAt(result.Message.Timestamp), out var e, out var error)
                        ? new(position, e, null)
                        : new(position, null, "not a CloudEvent: " + error);
                }
                if (offsets.Count == 0)
                {
                    wanted.Remove(result.TopicPartition);
                    consumer.IncrementalUnassign([result.TopicPartition]);
                }
                else if (offsets.Peek() != at + 1)
                {
                    consumer.Seek(new TopicPartitionOffset(result.TopicPartition, new Offset(offsets.Peek())));
                }
            }
        }
        consumer.Close();
        return positions.Select(p => found.TryGetValue(p, out var r) ? r : new KafkaReadResult(p, null, "not read within the timeout")).ToList();
    }
}
