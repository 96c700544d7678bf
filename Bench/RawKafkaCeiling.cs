using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Streaming.Kafka;
using Streaming.Kafka.Embedded;
using Streaming.Kafka.Events;
using Streaming.Kafka.Providers;

namespace Bench;

/// <summary>
/// The ceiling: how many events per second one produce→consume hop moves on this cluster, with the
/// provider's own client settings (idempotent producer, acks=all, manual-commit consumer) and an
/// event of the pipeline's size and headers. The pipeline can't beat this divided by its hops.
/// </summary>
internal static class RawKafkaCeiling
{
    public static double Measure(EmbeddedKafkaCluster cluster, int messages, int partitions)
    {
        var topic = "bench.raw." + Guid.NewGuid().ToString("N")[..8];
        cluster.CreateTopic(topic, partitions);
        var options = new KafkaStreamOptions { BootstrapServers = cluster.BootstrapServers };
        var sample = SampleEvent();
        var value = CloudEventKafkaMapping.ToValue(sample);
        var headers = CloudEventKafkaMapping.ToHeaders(sample);

        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.Producer(options)).Build();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(KafkaClientConfig.Consumer(options, "bench-raw")).Build();
        // An explicit offset: the mock cluster answers "earliest" with a later offset while producers write.
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, new Offset(0))));

        var clock = Stopwatch.StartNew();
        var consumed = 0;
        var consumerDone = Task.Factory.StartNew(() =>
        {
            while (consumed < messages)
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false }) consumed++;
        }, TaskCreationOptions.LongRunning);
        for (var i = 0; i < messages; i++)
        {
            var key = Encoding.UTF8.GetBytes("bench-session-" + (i % 500));
            producer.Produce(new TopicPartition(topic, KafkaPartitioner.PartitionFor(key, partitions)),
                new Message<byte[], byte[]> { Key = key, Value = value, Headers = headers });
        }
        producer.Flush(TimeSpan.FromMinutes(1));
        consumerDone.Wait(TimeSpan.FromMinutes(2));
        return consumed / clock.Elapsed.TotalSeconds;
    }

    /// <summary>An event of the pipeline's size and headers: a customer's message as <c>user.messages.raw</c> carries it.</summary>
    internal static CloudEvent SampleEvent() =>
        CloudEvent.Create("chat.message.received", "/bench", new
        {
            turnId = "0123456789abcdef", tenantId = "stuttgart-motors", sessionId = "bench-session-000", tier = "enterprise",
            text = "Which electric car do you have with the longest range?", submittedAt = DateTimeOffset.UtcNow,
            traceId = "0af7651916cd43dd8448eb211c80319c",
        }).WithExtension("tenantid", "stuttgart-motors").WithExtension("sessionid", "bench-session-000").WithExtension("tier", "enterprise");
}
