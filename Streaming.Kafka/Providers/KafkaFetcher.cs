using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Streaming.Kafka.Providers;

/// <summary>
/// A Kafka consumer that only fetches, shared by every provider of a silo (<see cref="KafkaFetchers"/>), polled on a
/// dedicated thread (never the thread pool). Partitions are assigned by hand as Orleans' balancer hands queues to this
/// silo, at the offset the provider's group committed (else the earliest). Fetched messages go to per-partition
/// buffers; a full buffer pauses its partition. It never commits: partitions are assigned, not subscribed, so a group
/// only stores offsets, and <see cref="KafkaGroupOffsets"/> commits them for each provider's group. Every call into
/// its librdkafka handle happens on the poll thread.
/// </summary>
internal sealed class KafkaFetcher : IDisposable
{
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly ConcurrentDictionary<KafkaTopicPartition, PartitionBuffer> _buffers = new();
    private readonly ConcurrentQueue<Action> _commands = new();
    private readonly CancellationTokenSource _stop = new(); // never disposed: the poll thread may outlive Dispose
    private readonly Thread _thread;
    private readonly ILogger _logger;

    public KafkaFetcher(string name, KafkaStreamOptions options, TimeSpan fetchWait, ILogger logger)
    {
        _logger = logger;
        // A group id only because the client requires one: this consumer neither joins nor commits to it.
        _consumer = new ConsumerBuilder<byte[], byte[]>(KafkaClientConfig.Consumer(options, options.TopicPrefix + "orleans-fetch", fetchWait))
            .SetLogHandler((_, m) => KafkaClientConfig.Log(logger, m))
            .SetErrorHandler((_, e) => logger.LogWarning("Kafka consumer {Fetcher}: {Reason}", name, e.Reason))
            .Build();
        _thread = new Thread(Run) { IsBackground = true, Name = $"kafka-poll-{name}" };
        _thread.Start();
    }

    /// <summary>
    /// Starts fetching <paramref name="tp"/> at <paramref name="committed"/> (the reading group's next offset), or at
    /// the first offset still on the log when the group has none. Idempotent: a retried attach (after a timed-out
    /// one) starts over.
    /// </summary>
    public Task<PartitionBuffer> AttachAsync(KafkaTopicPartition tp, long? committed, int capacity, TimeSpan timeout) => OnPollThread(() =>
    {
        var partition = new TopicPartition(tp.Topic, tp.Partition);
        if (_buffers.TryRemove(tp, out _)) _consumer.IncrementalUnassign([partition]);
        var buffer = new PartitionBuffer(tp, capacity);
        // Resolved here rather than through auto.offset.reset: librdkafka's mock cluster (the embedded default)
        // answers "earliest" with a later offset while producers are writing, which skipped messages.
        var start = committed is { } next ? new Offset(next) : new Offset(_consumer.QueryWatermarkOffsets(partition, timeout).Low.Value);
        _buffers[tp] = buffer;
        _consumer.IncrementalAssign([new TopicPartitionOffset(partition, start)]);
        _logger.LogDebug("Reading {Partition} from offset {Offset}", tp, start);
        return buffer;
    });

    public Task DetachAsync(KafkaTopicPartition tp) => OnPollThread(() =>
    {
        if (_buffers.TryRemove(tp, out _))
            _consumer.IncrementalUnassign([new TopicPartition(tp.Topic, tp.Partition)]);
        return true;
    });

    private Task<T> OnPollThread<T>(Func<T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_stop.IsCancellationRequested)
        {
            done.SetException(new ObjectDisposedException(nameof(KafkaFetcher)));
            return done.Task;
        }
        _commands.Enqueue(() =>
        {
            try { done.SetResult(action()); }
            catch (Exception ex) { done.SetException(ex); }
        });
        return done.Task;
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                while (_commands.TryDequeue(out var command)) command();
                ResumeDrainedPartitions();
                if (_buffers.IsEmpty)
                {
                    // Nothing assigned: wait briefly for a command instead of polling the brokers.
                    _stop.Token.WaitHandle.WaitOne(10);
                    continue;
                }
                var result = _consumer.Consume(TimeSpan.FromMilliseconds(10));
                if (result is null || result.IsPartitionEOF) continue;
                var tp = new KafkaTopicPartition(result.Topic, result.Partition.Value);
                // A message for a partition detached meanwhile is dropped: its next owner re-reads it from the committed offset.
                if (!_buffers.TryGetValue(tp, out var buffer)) continue;
                buffer.Add(result);
                if (!buffer.Paused && buffer.Count >= buffer.Capacity)
                {
                    _consumer.Pause([new TopicPartition(tp.Topic, tp.Partition)]);
                    buffer.Paused = true;
                    _anyPaused = true;
                }
            }
            catch (ConsumeException ex)
            {
                _logger.LogWarning(ex, "Kafka consume failed: {Reason}", ex.Error.Reason);
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                _logger.LogError(ex, "Kafka poll loop error");
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                // Stopping: an exception escaping here would take the whole process down.
                break;
            }
        }
        try
        {
            while (_commands.TryDequeue(out var command)) command();
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "Kafka poll loop: a command failed while stopping");
        }
        // The consumer is closed and destroyed here, on the thread that calls it, never under it: destroying a librdkafka
        // handle while this thread is inside a poll or a lookup is a use-after-free that kills the process (it did, in CI,
        // when a loaded machine made Dispose give up waiting).
        try { _consumer.Close(); } catch (KafkaException) { /* best effort: nothing to commit, no group to leave */ }
        catch (Exception ex) { _logger.LogDebug(ex, "Kafka poll loop: closing the consumer failed"); }
        _consumer.Dispose();
    }

    /// <summary>
    /// Runs before every poll, so it must cost nothing in the usual case: nothing paused → return at once; else walk
    /// the dictionary with its lock-free enumerator (<c>Values</c> takes every bucket lock and copies — it was 15 % of
    /// the busy threads' samples in the latency bench's profile).
    /// </summary>
    private void ResumeDrainedPartitions()
    {
        if (!_anyPaused) return;
        var stillPaused = false;
        foreach (var (_, buffer) in _buffers)
        {
            if (buffer.Paused && buffer.Count <= buffer.Capacity / 2)
            {
                _consumer.Resume([new TopicPartition(buffer.Partition.Topic, buffer.Partition.Partition)]);
                buffer.Paused = false;
            }
            stillPaused |= buffer.Paused;
        }
        _anyPaused = stillPaused;
    }

    /// <summary>Whether a buffer may be paused (set by the poll thread when it pauses one; cleared when none is).</summary>
    private bool _anyPaused;

    /// <summary>
    /// Stops the poll thread, which closes the consumer on its way out. A thread still inside a call after the wait (a
    /// lookup hung on a dead broker) is left to finish it and close the consumer then.
    /// </summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        if (!_thread.Join(TimeSpan.FromSeconds(30)))
            _logger.LogWarning("Kafka poll thread {Thread} still busy after 30 s; it closes its consumer when its call returns", _thread.Name);
    }
}
