using Microsoft.Extensions.Logging;

namespace Streaming.Kafka.Providers;

/// <summary>
/// The fetching consumers of one cluster in this process, shared by all providers: a partition that one provider
/// reads goes to the first consumer, one that a second provider also reads (the audit observes every topic) to the
/// second, and so on, since a consumer holds a partition once. So a silo fetches with as many consumers as the most
/// providers reading one partition (two for the platform) instead of one per provider: each consumer fetches from
/// every broker all the time, and 31 of them were most of an idle silo's CPU.
/// </summary>
internal sealed class KafkaFetchers(KafkaStreamOptions options, TimeSpan fetchWait, ILoggerFactory loggers) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<KafkaFetcher> _fetchers = [];
    private readonly Dictionary<KafkaTopicPartition, HashSet<int>> _taken = [];
    private bool _disposed;

    /// <summary>Consumers created so far.</summary>
    public int Count { get { lock (_gate) return _fetchers.Count; } }

    /// <summary>A consumer on which <paramref name="tp"/> is free, held for the caller until <see cref="FetchSlot.ReleaseAsync"/>.</summary>
    public FetchSlot Reserve(KafkaTopicPartition tp)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_taken.TryGetValue(tp, out var taken)) _taken[tp] = taken = [];
            var index = 0;
            while (taken.Contains(index)) index++;
            if (index == _fetchers.Count) _fetchers.Add(new KafkaFetcher($"{index}", options, fetchWait, loggers.CreateLogger<KafkaFetcher>()));
            taken.Add(index);
            return new FetchSlot(this, _fetchers[index], index, tp);
        }
    }

    private void Free(KafkaTopicPartition tp, int index)
    {
        lock (_gate)
        {
            if (_taken.TryGetValue(tp, out var taken) && taken.Remove(index) && taken.Count == 0) _taken.Remove(tp);
        }
    }

    /// <summary>Stops every consumer (each closes its handle on its own poll thread).</summary>
    public void Dispose()
    {
        List<KafkaFetcher> fetchers;
        lock (_gate)
        {
            _disposed = true;
            fetchers = [.. _fetchers];
        }
        foreach (var fetcher in fetchers) fetcher.Dispose();
    }

    /// <summary>One provider's hold on one partition of one shared consumer.</summary>
    internal sealed class FetchSlot(KafkaFetchers owner, KafkaFetcher fetcher, int index, KafkaTopicPartition tp)
    {
        private int _released;

        public Task<PartitionBuffer> AttachAsync(long? committed, int capacity, TimeSpan timeout) => fetcher.AttachAsync(tp, committed, capacity, timeout);

        /// <summary>Stops fetching the partition and frees it on its consumer for another provider. Idempotent.</summary>
        public async Task ReleaseAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1) return;
            try
            {
                await fetcher.DetachAsync(tp).ConfigureAwait(false);
            }
            finally
            {
                owner.Free(tp, index);
            }
        }
    }
}
