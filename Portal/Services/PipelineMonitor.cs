using Confluent.Kafka;
using Grains.Hosting;
using Grains.Pipeline;
using Grains.Tiers;
using Streaming.Kafka;

namespace Portal.Services;

public sealed record TopicFigures(string Topic, long Messages, long EndOffsetSum);

public sealed record StageFigures(Stage Stage, string GroupId, IReadOnlyDictionary<string, long> LagByTopic)
{
    public long TotalLag => LagByTopic.Values.Sum();
}

public sealed record PipelineSnapshot(
    bool Embedded,
    string BootstrapServers,
    bool Reachable,
    int Brokers,
    string? Error,
    IReadOnlyList<TopicFigures> Topics,
    IReadOnlyList<StageFigures> Stages,
    IReadOnlyList<TierStats> Tiers,
    DateTimeOffset TakenAt);

/// <summary>
/// Reads what operators watch: topics and their sizes, each stage's consumer-group lag (end offset
/// minus committed offset), per-tier figures. Kafka is asked through the Kafka protocol like any tool would.
/// </summary>
public sealed class PipelineMonitor : IDisposable
{
    private readonly PlatformKafkaOptions _kafka;
    private readonly IGrainFactory _grains;
    private readonly KafkaLookupClients _clients;

    public PipelineMonitor(PlatformKafkaOptions kafka, IGrainFactory grains)
    {
        _kafka = kafka;
        _grains = grains;
        _clients = new(new Dictionary<string, string>(kafka.ClientSettings) { ["bootstrap.servers"] = kafka.BootstrapServers }, "portal-monitor");
    }

    public async Task<PipelineSnapshot> SnapshotAsync(CancellationToken ct = default)
    {
        var tiers = await Task.WhenAll(Enum.GetValues<Tier>().Select(t => _grains.GetGrain<ITierGrain>(t.ToString()).GetStats()));
        return await _clients.RunAsync((admin, watermarks) => ReadKafka(admin, watermarks, tiers), ct);
    }

    private PipelineSnapshot ReadKafka(IAdminClient admin, IConsumer<byte[], byte[]> watermarks, IReadOnlyList<TierStats> tiers)
    {
        try
        {
            var metadata = admin.GetMetadata(TimeSpan.FromSeconds(3));
            var partitions = metadata.Topics.ToDictionary(t => t.Topic, t => t.Partitions.Select(p => p.PartitionId).ToList());
            var ends = new Dictionary<string, (long Messages, long End, Dictionary<int, long> ByPartition)>();
            foreach (var name in Grains.Pipeline.Topics.All)
            {
                var topic = _kafka.TopicPrefix + name;
                if (!partitions.TryGetValue(topic, out var ids)) continue;
                long messages = 0, end = 0;
                var byPartition = new Dictionary<int, long>();
                foreach (var p in ids)
                {
                    var w = watermarks.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(3));
                    messages += w.High.Value - w.Low.Value;
                    end += w.High.Value;
                    byPartition[p] = w.High.Value;
                }
                ends[name] = (messages, end, byPartition);
            }

            var stages = new List<StageFigures>();
            foreach (var stage in Stage.All)
            {
                var group = _kafka.TopicPrefix + stage.Name;
                var request = stage.Topics.Where(ends.ContainsKey)
                    .SelectMany(t => ends[t].ByPartition.Keys.Select(p => new TopicPartition(_kafka.TopicPrefix + t, p))).ToList();
                var committed = admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, request)])
                    .GetAwaiter().GetResult().Single().Partitions;
                var lag = stage.Topics.Where(ends.ContainsKey).ToDictionary(t => t, t => committed
                    .Where(c => c.Topic == _kafka.TopicPrefix + t)
                    .Sum(c => ends[t].ByPartition[c.Partition.Value] - Math.Max(0, c.Offset.Value)));
                stages.Add(new StageFigures(stage, group, lag));
            }

            return new PipelineSnapshot(_kafka.IsEmbedded, _kafka.BootstrapServers, true, metadata.Brokers.Count, null,
                ends.Select(kv => new TopicFigures(_kafka.TopicPrefix + kv.Key, kv.Value.Messages, kv.Value.End)).ToList(), stages, tiers, DateTimeOffset.UtcNow);
        }
        catch (KafkaException ex)
        {
            return new PipelineSnapshot(_kafka.IsEmbedded, _kafka.BootstrapServers, false, 0, ex.Error.Reason, [], [], tiers, DateTimeOffset.UtcNow);
        }
    }

    public void Dispose() => _clients.Dispose();
}
