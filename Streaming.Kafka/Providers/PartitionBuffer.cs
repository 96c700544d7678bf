using Confluent.Kafka;

namespace Streaming.Kafka.Providers;

/// <summary>
/// Messages fetched for one partition and not yet handed to Orleans. The poll thread appends;
/// the partition's receiver peeks a batch and removes it only once the whole batch was handled,
/// so a failed read loses nothing and needs no seek.
/// </summary>
internal sealed class PartitionBuffer(KafkaTopicPartition partition, int capacity)
{
    private readonly Lock _gate = new();
    private readonly Queue<ConsumeResult<byte[], byte[]>> _messages = new();

    public KafkaTopicPartition Partition { get; } = partition;

    public int Capacity { get; } = capacity;

    /// <summary>Set by the poll thread when it paused fetching because the buffer was full.</summary>
    public bool Paused { get; set; }

    public int Count { get { lock (_gate) return _messages.Count; } }

    /// <summary>A reader waiting for the buffer to fill (completed by the next <see cref="Add"/>), or null.</summary>
    private TaskCompletionSource? _arrival;

    public void Add(ConsumeResult<byte[], byte[]> message)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            _messages.Enqueue(message);
            wake = _arrival;
            _arrival = null;
        }
        wake?.TrySetResult(); // continuations run on the thread pool, never on the poll thread
    }

    /// <summary>
    /// Completes when a message is buffered (at once when one is), after <paramref name="timeout"/>, or when
    /// <paramref name="cancellation"/> fires; never throws (the caller looks at the buffer again).
    /// </summary>
    public async Task WaitForMessagesAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        Task arrival;
        lock (_gate)
        {
            if (_messages.Count > 0) return;
            _arrival ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            arrival = _arrival.Task;
        }
        await arrival.WaitAsync(timeout, cancellation).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public List<ConsumeResult<byte[], byte[]>> Peek(int max)
    {
        lock (_gate) return _messages.Take(max).ToList();
    }

    public void Remove(int count)
    {
        lock (_gate)
            for (var i = 0; i < count && _messages.Count > 0; i++) _messages.Dequeue();
    }
}
