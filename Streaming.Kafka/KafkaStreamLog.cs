using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration.Overrides;
using Orleans.Runtime;
using Orleans.Streams;
using Streaming.Kafka.Events;
using Streaming.Kafka.Providers;

namespace Streaming.Kafka;

/// <summary>
/// Rewind from the log: reads one stream's events again, straight from Kafka, from a sequence token
/// a consumer was given (or from the beginning) up to the end as it was when the read started.
/// Orleans' own rewind (subscribing with a token) only reaches its in-memory cache; this reaches
/// everything the topic retains, which is what an audit replay of a conversation needs.
/// It uses no consumer group and commits nothing, so it never disturbs the pipeline.
/// </summary>
public sealed class KafkaStreamLog(KafkaStreamOptions options, KafkaClientPool pool)
{
    public static KafkaStreamLog For(IServiceProvider services, string providerName) =>
        new(services.GetOptionsByName<KafkaStreamOptions>(providerName), services.GetRequiredService<KafkaClientPool>());

    public async IAsyncEnumerable<(CloudEvent Event, KafkaSequenceToken Token)> ReadAsync(StreamId stream, StreamSequenceToken? from = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var topic = options.TopicForNamespace(stream.GetNamespace());
        var key = stream.Key.ToArray();
        var partitions = await pool.PartitionCountAsync(options, topic, cancellationToken).ConfigureAwait(false);
        var partition = new TopicPartition(topic, KafkaPartitioner.PartitionFor(key, partitions));

        var config = KafkaClientConfig.Consumer(options, "stream-log-" + Guid.NewGuid().ToString("N"));
        config.EnableAutoCommit = false;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        var watermarks = await Task.Run(() => consumer.QueryWatermarkOffsets(partition, options.StartupTimeout), cancellationToken).ConfigureAwait(false);
        var start = Math.Max(from?.SequenceNumber ?? watermarks.Low.Value, watermarks.Low.Value);
        if (start >= watermarks.High.Value) yield break;
        consumer.Assign(new TopicPartitionOffset(partition, new Offset(start)));

        var position = start;
        while (position < watermarks.High.Value)
        {
            var result = await Task.Run(() => consumer.Consume(TimeSpan.FromMilliseconds(200)), cancellationToken).ConfigureAwait(false);
            if (result is null || result.IsPartitionEOF) continue;
            position = result.Offset.Value + 1;
            if (result.Message.Key is null || !result.Message.Key.AsSpan().SequenceEqual(key)) continue;
            // Events the pipeline dead-lettered are skipped here too: the dead-letter topic holds them.
            if (!CloudEventKafkaMapping.TryParse(result.Message.Headers, result.Message.Value, CloudEventKafkaMapping.WrittenAt(result.Message.Timestamp), out var cloudEvent, out _)) continue;
            yield return (cloudEvent!, new KafkaSequenceToken(result.Offset.Value));
        }
        consumer.Close();
    }

    public override string ToString() => $"stream log over {options.BootstrapServers}";
}
