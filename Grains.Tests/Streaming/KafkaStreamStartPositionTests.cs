using System.Text;
using Confluent.Kafka;
using Grains.Tests.Infrastructure;
using Streaming.Kafka.Events;

namespace Grains.Tests.Streaming;

/// <summary>Where a queue starts reading when its provider starts while producers are writing.</summary>
public sealed class KafkaStreamStartPositionTests
{
    [Fact]
    public async Task A_provider_that_starts_while_producers_write_reads_every_event_from_the_first_offset()
    {
        var prefix = TestKafka.UniquePrefix();
        TestKafka.Embedded?.CreateTopic(prefix + ProbeStreams.In, ProbeCluster.DefaultPartitions);
        var keys = Enumerable.Range(0, 8).Select(i => $"early-{i}-{Guid.NewGuid():N}").ToList();
        const int perKey = 2500;

        // A producer that writes before, during and after the silo's start.
        var writing = Task.Run(async () =>
        {
            using var producer = TestKafka.PlainProducer();
            for (var i = 0; i < perKey; i++)
            {
                foreach (var key in keys)
                {
                    var e = CloudEvent.Create("probe.data", "/producer", new { i });
                    producer.Produce(prefix + ProbeStreams.In, new Message<byte[], byte[]>
                    {
                        Key = Encoding.UTF8.GetBytes(key), Value = CloudEventKafkaMapping.ToValue(e), Headers = CloudEventKafkaMapping.ToHeaders(e),
                    });
                }
                if (i % 12 == 0) await Task.Delay(10);
            }
            producer.Flush(TimeSpan.FromSeconds(30));
        });

        await using var probe = await ProbeCluster.StartAsync(prefix: prefix);
        await writing;
        await Eventually.True(() => ProbeLog.CountFor(keys) >= keys.Count * perKey,
            $"all {keys.Count * perKey} events, including those written before and while the silo started");
        foreach (var key in keys) Assert.Equal(perKey, ProbeLog.For(key).Select(r => r.EventId).Distinct().Count());
    }
}
