using Confluent.Kafka;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Streaming.Kafka;
using Streaming.Kafka.Providers;

namespace Grains.Tests.Streaming;

/// <summary>The shared consumer on its own, where timing can be controlled more tightly than through a silo.</summary>
public sealed class KafkaConsumerLoopTests
{
    [Fact]
    public async Task Partitions_attached_while_a_burst_is_written_are_read_from_their_first_offset()
    {
        var topic = TestKafka.UniquePrefix() + "burst";
        TestKafka.Embedded?.CreateTopic(topic, 4);
        var options = new KafkaStreamOptions { BootstrapServers = TestKafka.BootstrapServers };
        using var loop = new KafkaConsumerLoop("burst", options, topic + ".group", NullLogger.Instance);
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.Producer(options)).Build();
        const int total = 50_000;

        // Attach to empty partitions, then write at full speed while librdkafka starts fetching.
        var buffers = await Task.WhenAll(Enumerable.Range(0, 4).Select(p => loop.AttachAsync(new KafkaTopicPartition(topic, p), total, TimeSpan.FromSeconds(10))));
        for (var i = 0; i < total; i++)
            producer.Produce(new TopicPartition(topic, i % 4), new Message<byte[], byte[]> { Key = [(byte)(i % 4)], Value = new byte[600] });
        producer.Flush(TimeSpan.FromSeconds(30));

        await Eventually.True(() => buffers.Sum(b => b.Count) >= total, $"all {total} messages buffered", TimeSpan.FromSeconds(15));
        foreach (var buffer in buffers)
        {
            var offsets = buffer.Peek(total).Select(m => m.Offset.Value).ToList();
            Assert.Equal(0, offsets[0]);
            Assert.Equal(Enumerable.Range(0, total / 4).Select(i => (long)i), offsets);
        }
    }
}
