using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka.Events;

namespace Streaming.Kafka.Providers;

/// <summary>
/// Reads one (topic, partition) for Orleans. Hands over what a shared fetching consumer buffered, sends
/// unparseable messages to the dead-letter topic, and commits the provider's group offset only once
/// Orleans has delivered everything below it (at-least-once across a crash or a rebalance).
/// </summary>
internal sealed partial class KafkaQueueAdapterReceiver(
    QueueId queue,
    KafkaTopicPartition partition,
    KafkaStreamOptions options,
    KafkaFetchers fetchers,
    KafkaGroupOffsets offsets,
    string group,
    DeadLetterWriter deadLetters,
    TimeProvider time,
    ILogger logger) : IQueueAdapterReceiver
{
    private const int DefaultBatch = 500;
    private readonly OffsetTracker _tracker = new();
    private readonly string? _namespace = options.NamespaceForTopic(partition.Topic);
    private static readonly TimeSpan RetryAttachEvery = TimeSpan.FromSeconds(1);
    private KafkaFetchers.FetchSlot? _slot;
    private PartitionBuffer? _buffer;
    private long _lastCommitTicks;
    private long _lastAttachTicks;
    private TimeSpan _initTimeout = TimeSpan.FromSeconds(15);
    private bool _shutDown;

    /// <summary>Ends a read waiting for messages when the agent shuts the receiver down.</summary>
    private readonly CancellationTokenSource _stopping = new();

    public QueueId Queue { get; } = queue;

    public KafkaTopicPartition Partition { get; } = partition;

    public int InFlight => _tracker.InFlight;

    public async Task Initialize(TimeSpan timeout)
    {
        _initTimeout = timeout;
        await AttachAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Orleans keeps reading from a receiver whose initialisation failed, which would leave the
    /// partition silently unread. So a receiver that is not attached retries on its next read.
    /// </summary>
    private async Task<bool> AttachAsync()
    {
        if (_buffer is not null) return true;
        if (_shutDown) return false;
        if (_lastAttachTicks != 0 && time.GetElapsedTime(_lastAttachTicks) < RetryAttachEvery) return false;
        _lastAttachTicks = time.GetTimestamp();
        try
        {
            _slot ??= fetchers.Reserve(Partition);
            var committed = await offsets.CommittedAsync(group, Partition).WaitAsync(_initTimeout + _initTimeout).ConfigureAwait(false);
            _buffer = await _slot.AttachAsync(committed, options.MaxBufferedMessagesPerPartition, _initTimeout).WaitAsync(_initTimeout + _initTimeout).ConfigureAwait(false);
            _lastCommitTicks = time.GetTimestamp();
            LogAttached(Partition);
            return true;
        }
        catch (Exception ex) when (ex is KafkaException or TimeoutException)
        {
            LogAttachFailed(ex, Partition);
            return false;
        }
    }

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount)
    {
        if (!await AttachAsync().ConfigureAwait(false)) return [];
        var buffer = _buffer;
        if (buffer is null) return [];
        await CommitIfDueAsync(force: false).ConfigureAwait(false);

        var batch = buffer.Peek(maxCount > 0 ? maxCount : DefaultBatch);
        if (batch.Count == 0 && options.ReceiveWait > TimeSpan.Zero && !_shutDown)
        {
            // Long poll: hand the next message over as it arrives rather than at the agent's next tick.
            await buffer.WaitForMessagesAsync(options.ReceiveWait, _stopping.Token).ConfigureAwait(false);
            if (_shutDown) return []; // released by Shutdown: the partition's next owner reads what came
            batch = buffer.Peek(maxCount > 0 ? maxCount : DefaultBatch);
        }
        if (batch.Count == 0) return [];

        var containers = new List<IBatchContainer>(batch.Count);
        var handed = new List<(long Offset, bool Settled)>(batch.Count);
        foreach (var message in batch)
        {
            var offset = message.Offset.Value;
            if (TryRead(message, out var container, out var reason))
            {
                containers.Add(container!);
                handed.Add((offset, false));
            }
            else
            {
                // Poison message: park it with its reason and move on; the queue must not stop. An observing
                // provider (the audit) leaves that to the topic's own consumer, so a message is parked once.
                if (options.DeadLetterUnreadable)
                {
                    await deadLetters.SendAsync(message, reason!).ConfigureAwait(false);
                    LogDeadLettered(Partition, offset, reason!);
                }
                else LogSkipped(Partition, offset, reason!);
                handed.Add((offset, true));
            }
        }
        // All-or-nothing: only now, with every message handled, do they leave the buffer.
        foreach (var (offset, settled) in handed) _tracker.Handed(offset, settled);
        buffer.Remove(batch.Count);
        return containers;
    }

    private bool TryRead(ConsumeResult<byte[], byte[]> message, out KafkaBatchContainer? container, out string? reason)
    {
        container = null;
        if (message.Message.Key is not { Length: > 0 } keyBytes)
        {
            reason = "message has no key: the key names the conversation (stream) it belongs to";
            return false;
        }
        string key;
        try { key = StrictUtf8.GetString(keyBytes); }
        catch (DecoderFallbackException) { reason = "message key is not valid UTF-8"; return false; }

        if (!CloudEventKafkaMapping.TryParse(message.Message.Headers, message.Message.Value, CloudEventKafkaMapping.WrittenAt(message.Message.Timestamp), out var cloudEvent, out reason))
            return false;

        container = new KafkaBatchContainer(StreamId.Create(_namespace ?? message.Topic, key), cloudEvent!,
            new KafkaSequenceToken(message.Offset.Value, partition: Partition.Partition), Partition.Partition);
        return true;
    }

    public async Task MessagesDeliveredAsync(IList<IBatchContainer> messages)
    {
        foreach (var m in messages)
            if (m is KafkaBatchContainer k) _tracker.Settled(k.Token.Offset);
        await CommitIfDueAsync(force: false).ConfigureAwait(false);
    }

    /// <summary>Called by the failure handler: Orleans gave up delivering this offset, so it no longer holds the watermark.</summary>
    public void Abandon(long offset) => _tracker.Settled(offset);

    public async Task Shutdown(TimeSpan timeout)
    {
        _shutDown = true;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_buffer is null)
        {
            await ReleaseAsync().ConfigureAwait(false); // an attach that failed may still hold its consumer's partition
            return;
        }
        try
        {
            await CommitIfDueAsync(force: true).WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogCommitFailed(ex, Partition);
        }
        finally
        {
            _buffer = null;
            await ReleaseAsync().ConfigureAwait(false);
            LogDetached(Partition, _tracker.InFlight);
        }
    }

    private async Task ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _slot, null) is { } slot) await slot.ReleaseAsync().ConfigureAwait(false);
    }

    private async Task CommitIfDueAsync(bool force)
    {
        if (!force && time.GetElapsedTime(_lastCommitTicks) < options.CommitInterval) return;
        if (_tracker.Committable() is not { } position) return;
        try
        {
            await offsets.CommitAsync(group, Partition, position).ConfigureAwait(false);
            _tracker.MarkCommitted(position);
            _lastCommitTicks = time.GetTimestamp();
        }
        catch (KafkaException ex) when (!force)
        {
            // Not fatal: the watermark stays, the next attempt commits it. Repeated failures show in the log.
            LogCommitFailed(ex, Partition);
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Receiving {Partition}")]
    private partial void LogAttached(KafkaTopicPartition partition);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Released {Partition} with {InFlight} messages not yet delivered (they will be redelivered by the next owner)")]
    private partial void LogDetached(KafkaTopicPartition partition, int inFlight);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Skipped unreadable {Partition} offset {Offset} (its own consumer dead-letters it): {Reason}")]
    private partial void LogSkipped(KafkaTopicPartition partition, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered {Partition} offset {Offset}: {Reason}")]
    private partial void LogDeadLettered(KafkaTopicPartition partition, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not start reading {Partition}; retrying every second")]
    private partial void LogAttachFailed(Exception ex, KafkaTopicPartition partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offset commit for {Partition} failed; it will be retried")]
    private partial void LogCommitFailed(Exception ex, KafkaTopicPartition partition);
}
