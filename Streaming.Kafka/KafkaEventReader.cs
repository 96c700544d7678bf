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
/// One per host and provider (<see cref="For"/>): its consumers stay connected between reads, so a lookup costs a
/// fetch, not a new client with its connections and metadata.
/// </summary>
public sealed class KafkaEventReader(KafkaStreamOptions options) : IDisposable
{
    private const int IdleConsumers = 4;

    private readonly System.Collections.Concurrent.ConcurrentBag<IConsumer<byte[], byte[]>> _idle = [];
    private volatile bool _disposed;

    /// <summary>The host's reader for a Kafka stream provider's cluster and topics.</summary>
    public static KafkaEventReader For(IServiceProvider services, string providerName) =>
        services.GetRequiredKeyedService<KafkaEventReader>(providerName);

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
        var consumer = Rent();
        var found = new Dictionary<KafkaPosition, KafkaReadResult>();
        var healthy = false;
        try
        {
            // Per partition, the wanted offsets in order: one assignment, a seek only where they are not consecutive.
            var wanted = positions.Distinct()
                .GroupBy(p => new TopicPartition(p.Topic, p.Partition))
                .ToDictionary(g => g.Key, g => new Queue<long>(g.Select(p => p.Offset).Order()));
            consumer.IncrementalAssign(wanted.Select(w => new TopicPartitionOffset(w.Key, new Offset(w.Value.Peek()))));
            var deadline = DateTime.UtcNow + options.StartupTimeout;
            while (wanted.Count > 0 && DateTime.UtcNow < deadline)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ConsumeResult<byte[], byte[]>? result;
                try
                {
                    result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                }
                catch (ConsumeException ex) when (ex.Error.Code is Confluent.Kafka.ErrorCode.Local_AutoOffsetReset or Confluent.Kafka.ErrorCode.OffsetOutOfRange
                                                  && ex.ConsumerRecord?.TopicPartition is { } outOfRange && wanted.ContainsKey(outOfRange))
                {
                    // Only now ask for the watermarks: the common case (every offset still there) needs no extra round trip.
                    Explain(consumer, outOfRange, wanted, found);
                    continue;
                }
                if (result is null || !wanted.TryGetValue(result.TopicPartition, out var offsets)) continue;
                if (result.IsPartitionEOF)
                {
                    // The partition ends before the next wanted offset: the rest are not in the log.
                    Explain(consumer, result.TopicPartition, wanted, found);
                    continue;
                }
                var at = result.Offset.Value;
                while (offsets.Count > 0 && offsets.Peek() < at)
                {
                    // A wanted offset that is not a message (a transaction marker, a compacted record).
                    var gone = new KafkaPosition(result.Topic, result.Partition.Value, offsets.Dequeue());
                    found[gone] = new(gone, null, "not a message any more (compacted or a control record)");
                }
                if (offsets.Count > 0 && offsets.Peek() == at)
                {
                    offsets.Dequeue();
                    var position = new KafkaPosition(result.Topic, result.Partition.Value, at);
                    found[position] = CloudEventKafkaMapping.TryParse(result.Message.Headers, result.Message.Value, CloudEventKafkaMapping.WrittenAt(result.Message.Timestamp), out var e, out var error)
                        ? new(position, e, null)
                        : new(position, null, "not a CloudEvent: " + error);
                }
                Next(consumer, result.TopicPartition, at, wanted);
            }
            healthy = wanted.Count == 0;
        }
        finally
        {
            Return(consumer, healthy);
        }
        return positions.Select(p => found.TryGetValue(p, out var r) ? r : new KafkaReadResult(p, null, "not read within the timeout")).ToList();
    }

    /// <summary>Reports the partition's wanted offsets it does not hold (by its watermarks), then reads on from the next one it does.</summary>
    private void Explain(IConsumer<byte[], byte[]> consumer, TopicPartition partition, Dictionary<TopicPartition, Queue<long>> wanted, Dictionary<KafkaPosition, KafkaReadResult> found)
    {
        var offsets = wanted[partition];
        var marks = consumer.QueryWatermarkOffsets(partition, options.StartupTimeout);
        var skipped = false;
        while (offsets.Count > 0 && Unavailable(partition.Partition.Value, offsets.Peek(), marks.Low.Value, marks.High.Value) is { } why)
        {
            var position = new KafkaPosition(partition.Topic, partition.Partition.Value, offsets.Dequeue());
            found[position] = new(position, null, why);
            skipped = true;
        }
        if (offsets.Count == 0)
        {
            wanted.Remove(partition);
            consumer.IncrementalUnassign([partition]);
        }
        else if (skipped)
        {
            consumer.Seek(new TopicPartitionOffset(partition, new Offset(offsets.Peek())));
        }
    }

    /// <summary>After reading offset <paramref name="at"/>: done with the partition, or on to its next wanted offset.</summary>
    private static void Next(IConsumer<byte[], byte[]> consumer, TopicPartition partition, long at, Dictionary<TopicPartition, Queue<long>> wanted)
    {
        var offsets = wanted[partition];
        if (offsets.Count == 0)
        {
            wanted.Remove(partition);
            consumer.IncrementalUnassign([partition]);
        }
        else if (offsets.Peek() != at + 1)
        {
            consumer.Seek(new TopicPartitionOffset(partition, new Offset(offsets.Peek())));
        }
    }

    private IConsumer<byte[], byte[]> Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var consumer)) return consumer;
        var config = KafkaClientConfig.Consumer(options, "event-reader-" + Guid.NewGuid().ToString("N"));
        config.EnableAutoCommit = false;
        config.EnablePartitionEof = true;
        // An offset retention deleted is an error to explain, never a silent jump to another offset.
        config.AutoOffsetReset = AutoOffsetReset.Error;
        return new ConsumerBuilder<byte[], byte[]>(config).Build();
    }

    /// <summary>A consumer goes back to the pool with nothing assigned; one that did not finish cleanly is closed.</summary>
    private void Return(IConsumer<byte[], byte[]> consumer, bool healthy)
    {
        try
        {
            if (consumer.Assignment.Count > 0) consumer.Unassign();
        }
        catch (KafkaException)
        {
            healthy = false;
        }
        if (healthy && !_disposed && _idle.Count < IdleConsumers)
        {
            _idle.Add(consumer);
            return;
        }
        consumer.Close();
        consumer.Dispose();
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var consumer))
        {
            consumer.Close();
            consumer.Dispose();
        }
    }
}
