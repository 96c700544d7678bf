using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Grains.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Streaming.Kafka;
using Streaming.Kafka.Providers;

namespace Grains.Triggers;

/// <summary>A trigger's consumer-group lag: end offsets minus committed offsets, per source topic.</summary>
[GenerateSerializer, Immutable]
public sealed record TriggerLag([property: Id(0)] IReadOnlyDictionary<string, long> ByTopic)
{
    public long Total => ByTopic.Values.Sum();
}

/// <summary>
/// A trigger's Kafka side that is not its consumer loop: the deployment's Kafka settings (those of the stage
/// providers, so triggers reach the same cluster with the same SASL/SSL settings and prefix), the start offsets
/// committed when a trigger is created, and its lag (committed offsets vs high watermarks, as the operations page
/// reads a stage's). One per host.
/// </summary>
public sealed class TriggerOffsets(IOptionsMonitor<KafkaStreamOptions> providers, KafkaClientPool pool) : IDisposable
{
    private readonly KafkaLookupClients _clients = new(Common(providers.Get(Stage.Audit.Name), "trigger-monitor"), "trigger-monitor");

    public static TriggerOffsets For(IServiceProvider services) => services.GetRequiredService<TriggerOffsets>();

    /// <summary>The settings of the platform's stream providers (bootstrap servers, client settings, topic prefix, dead-letter topic).</summary>
    public KafkaStreamOptions Kafka => providers.Get(Stage.Audit.Name);

    public KafkaClientPool Pool => pool;

    public string TopicOf(string topic) => Kafka.TopicPrefix + topic;

    public string GroupOf(TriggerDefinition trigger) => trigger.GroupId(Kafka.TopicPrefix);

    /// <summary>
    /// Commits the new trigger's group at the end of every partition of its topics ("now") or at their beginning.
    /// The mock cluster's own "latest"/"earliest" resolution is not trusted under concurrent writes (see the stream
    /// provider's notes), and a silo that starts the consumer a second later must not skip what came meanwhile.
    /// </summary>
    public async Task SetStartAsync(TriggerDefinition trigger)
    {
        var options = Kafka;
        var topics = trigger.Spec.Topics.Select(TopicOf).ToList();
        var partitions = await pool.DiscoverAsync(options, topics).ConfigureAwait(false);
        await Task.Run(() =>
        {
            var config = new ConsumerConfig(Common(options, "trigger-setup")) { GroupId = GroupOf(trigger), EnableAutoCommit = false };
            using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
            var offsets = partitions.SelectMany(t => Enumerable.Range(0, t.Value).Select(p =>
            {
                var w = consumer.QueryWatermarkOffsets(new TopicPartition(t.Key, p), TimeSpan.FromSeconds(10));
                return new TopicPartitionOffset(t.Key, p, trigger.Spec.Start == TriggerStart.Latest ? w.High : w.Low);
            })).ToList();
            consumer.Commit(offsets);
            consumer.Close();
        }).ConfigureAwait(false);
    }

    public async Task<TriggerLag> LagAsync(TriggerDefinition trigger, CancellationToken ct = default)
    {
        var options = Kafka;
        var partitions = await pool.DiscoverAsync(options, trigger.Spec.Topics.Select(TopicOf).ToList(), ct).ConfigureAwait(false);
        return await _clients.RunAsync(async (admin, watermarks) =>
        {
            var request = partitions.SelectMany(t => Enumerable.Range(0, t.Value).Select(p => new TopicPartition(t.Key, p))).ToList();
            var committed = (await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(GroupOf(trigger), request)]).ConfigureAwait(false))
                .Single().Partitions.ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
            var lag = new Dictionary<string, long>();
            foreach (var tp in request)
            {
                var high = watermarks.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(5)).High.Value;
                var at = committed.GetValueOrDefault(tp, -1);
                var topic = tp.Topic[options.TopicPrefix.Length..];
                lag[topic] = lag.GetValueOrDefault(topic) + (at < 0 ? high : Math.Max(0, high - at));
            }
            return new TriggerLag(lag);
        }, ct).ConfigureAwait(false);
    }

    internal static Dictionary<string, string> Common(KafkaStreamOptions o, string clientId)
    {
        var settings = new Dictionary<string, string>(o.ClientSettings) { ["bootstrap.servers"] = o.BootstrapServers };
        settings.TryAdd("client.id", clientId);
        settings.TryAdd("log_level", "4");
        return settings;
    }

    public void Dispose() => _clients.Dispose();
}
