using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Streaming.Kafka.Providers;

/// <summary>
/// Reads and commits the offsets of the providers' consumer groups through the cluster's admin client, apart from
/// the consumers that fetch (<see cref="KafkaFetcher"/>), so that one fetching consumer serves every group. The groups
/// have no members (partitions are assigned, not subscribed), which is what lets offsets be set from outside.
/// Asynchronous end to end: no thread waits on a commit. A group's commits go one request at a time, in order; what
/// its receivers commit meanwhile goes together in the next request.
/// </summary>
internal sealed class KafkaGroupOffsets(Func<IAdminClient> admin, TimeSpan timeout)
{
    private readonly Dictionary<string, GroupCommits> _groups = new(StringComparer.Ordinal);

    /// <summary>The group's next offset to read in <paramref name="tp"/>, or null when it has committed none.</summary>
    public async Task<long?> CommittedAsync(string group, KafkaTopicPartition tp)
    {
        var results = await admin().ListConsumerGroupOffsetsAsync(
            [new ConsumerGroupTopicPartitions(group, [new TopicPartition(tp.Topic, tp.Partition)])],
            new ListConsumerGroupOffsetsOptions { RequestTimeout = timeout }).ConfigureAwait(false);
        var partition = results.Single().Partitions.Single();
        if (partition.Error.IsError) throw new KafkaException(partition.Error);
        return partition.Offset.Value >= 0 ? partition.Offset.Value : null;
    }

    /// <summary>Commits "next offset to read" for one partition of a group. Throws on failure: a commit is never silently lost.</summary>
    public Task CommitAsync(string group, KafkaTopicPartition tp, long nextOffset)
    {
        GroupCommits commits;
        lock (_groups)
        {
            if (!_groups.TryGetValue(group, out commits!)) _groups[group] = commits = new GroupCommits(group, this);
        }
        return commits.Add(tp, nextOffset);
    }

    private sealed class GroupCommits(string group, KafkaGroupOffsets owner)
    {
        private readonly Lock _gate = new();
        private Dictionary<KafkaTopicPartition, (long Offset, TaskCompletionSource Done)> _pending = [];
        private bool _sending;

        public Task Add(KafkaTopicPartition tp, long offset)
        {
            Task done;
            var start = false;
            lock (_gate)
            {
                if (_pending.TryGetValue(tp, out var waiting))
                {
                    // Committed together: the later position covers the earlier one (positions only grow per receiver).
                    _pending[tp] = (Math.Max(offset, waiting.Offset), waiting.Done);
                    done = waiting.Done.Task;
                }
                else
                {
                    var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _pending[tp] = (offset, tcs);
                    done = tcs.Task;
                }
                if (!_sending) start = _sending = true;
            }
            if (start) _ = SendAsync();
            return done;
        }

        private async Task SendAsync()
        {
            while (true)
            {
                Dictionary<KafkaTopicPartition, (long Offset, TaskCompletionSource Done)> batch;
                lock (_gate)
                {
                    if (_pending.Count == 0)
                    {
                        _sending = false;
                        return;
                    }
                    batch = _pending;
                    _pending = [];
                }
                try
                {
                    var offsets = batch.Select(kv => new TopicPartitionOffset(kv.Key.Topic, kv.Key.Partition, kv.Value.Offset)).ToList();
                    var results = await owner.AlterAsync(group, offsets).ConfigureAwait(false);
                    foreach (var (tp, (_, done)) in batch)
                    {
                        var error = results.FirstOrDefault(r => r.Topic == tp.Topic && r.Partition.Value == tp.Partition)?.Error;
                        if (error is { IsError: true }) done.TrySetException(new KafkaException(error));
                        else done.TrySetResult();
                    }
                }
                catch (Exception ex)
                {
                    foreach (var (_, (_, done)) in batch) done.TrySetException(ex);
                }
            }
        }
    }

    private async Task<List<TopicPartitionOffsetError>> AlterAsync(string group, List<TopicPartitionOffset> offsets)
    {
        try
        {
            var results = await admin().AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(group, offsets)],
                new AlterConsumerGroupOffsetsOptions { RequestTimeout = timeout }).ConfigureAwait(false);
            return results.Single().Partitions;
        }
        catch (AlterConsumerGroupOffsetsException ex) when (ex.Results.Count == 1 && !ex.Results[0].Error.IsError)
        {
            // Per-partition errors: those partitions fail, the others are committed.
            return ex.Results[0].Partitions;
        }
    }
}
