using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Streaming.Kafka;
using Streaming.Kafka.Embedded;
using Streaming.Kafka.Events;
using Streaming.Kafka.Providers;

namespace Bench;

/// <summary>
/// The floor of one hop: the time from handing an event to the producer to reading it in a consumer, with the
/// provider's own client settings (idempotent producer, acks=all, linger 1 ms; fetch wait 10 ms) and an event of the
/// pipeline's size and headers, sent open loop at the bench's rate over keys spread like sessions.
/// </summary>
internal static class RawKafkaHop
{
    /// <summary>Each event's produce→consume time in ms, sorted.</summary>
    public static List<double> Measure(EmbeddedKafkaCluster cluster, int rate, int messages, int partitions)
    {
        var topic = "bench.hop." + Guid.NewGuid().ToString("N")[..8];
        cluster.CreateTopic(topic, partitions);
        var options = new KafkaStreamOptions { BootstrapServers = cluster.BootstrapServers };
        var sample = RawKafkaCeiling.SampleEvent();
        var value = CloudEventKafkaMapping.ToValue(sample);

        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.Producer(options)).Build();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(KafkaClientConfig.Consumer(options, "bench-hop")).Build();
        // An explicit offset: the mock cluster answers "earliest" with a later offset while producers write.
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, new Offset(0))));

        var latencies = new List<double>(messages);
        var reader = Task.Factory.StartNew(() =>
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (latencies.Count < messages && DateTime.UtcNow < deadline)
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { Message: { } m }) continue;
                var sentAt = BinaryPrimitives.ReadInt64BigEndian(m.Headers.GetLastBytes("bench-sent"));
                latencies.Add(Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds);
            }
        }, TaskCreationOptions.LongRunning);

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < messages; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1)) Thread.Sleep(wait);
            var key = Encoding.UTF8.GetBytes("bench-session-" + (i % 500));
            var headers = CloudEventKafkaMapping.ToHeaders(sample);
            var sent = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(sent, Stopwatch.GetTimestamp());
            headers.Add("bench-sent", sent);
            producer.Produce(new TopicPartition(topic, KafkaPartitioner.PartitionFor(key, partitions)),
                new Message<byte[], byte[]> { Key = key, Value = value, Headers = headers });
        }
        producer.Flush(TimeSpan.FromMinutes(1));
        reader.Wait(TimeSpan.FromMinutes(2));
        latencies.Sort();
        return latencies;
    }
}
