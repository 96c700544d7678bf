using System.Text;
using Confluent.Kafka;
using Grains.Tests.Infrastructure;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Streaming.Kafka.Events;
using Streaming.Kafka.Providers;

namespace Grains.Tests.Streaming;

/// <summary>The Kafka stream provider against the embedded cluster, through an Orleans test cluster.</summary>
public sealed class KafkaStreamProviderTests : IAsyncLifetime
{
    private ProbeCluster _probe = null!;

    public async Task InitializeAsync() => _probe = await ProbeCluster.StartAsync();

    public async Task DisposeAsync() => await _probe.DisposeAsync();

    private static CloudEvent Event(int n, string type = "probe.data") =>
        CloudEvent.Create(type, "/tests", new { n }, id: Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Events_produced_through_a_stream_reach_the_implicit_subscriber_with_their_offsets()
    {
        var key = "conv-" + Guid.NewGuid().ToString("N");
        var sent = Enumerable.Range(0, 20).Select(i => Event(i)).ToList();
        foreach (var e in sent) await _probe.Stream(key).OnNextAsync(e);

        await Eventually.True(() => ProbeLog.For(key).Count >= sent.Count, "all 20 events received");
        var received = ProbeLog.For(key);
        Assert.Equal(sent.Select(e => e.Id), received.Select(r => r.EventId));
        Assert.Equal(sent.Select(e => e.Data), received.Select(r => r.Data));
        // The sequence token is the Kafka offset: strictly increasing within the conversation's partition.
        Assert.True(received.Zip(received.Skip(1)).All(p => p.First.Offset < p.Second.Offset));
    }

    [Fact]
    public async Task Each_key_keeps_its_order_when_keys_are_interleaved()
    {
        var keys = Enumerable.Range(0, 6).Select(i => $"order-{i}-{Guid.NewGuid():N}").ToList();
        var sent = keys.ToDictionary(k => k, _ => new List<string>());
        for (var i = 0; i < 30; i++)
        {
            await Task.WhenAll(keys.Select(async k =>
            {
                var e = Event(i);
                lock (sent[k]) sent[k].Add(e.Id);
                await _probe.Stream(k).OnNextAsync(e);
            }));
        }
        await Eventually.True(() => ProbeLog.CountFor(keys) >= 6 * 30, "180 events received");
        foreach (var k in keys) Assert.Equal(sent[k], ProbeLog.For(k).Select(r => r.EventId));
    }

    [Fact]
    public async Task A_cloudevent_from_a_plain_kafka_producer_reaches_a_grain_and_its_reply_is_read_by_a_plain_consumer()
    {
        var key = "plain-" + Guid.NewGuid().ToString("N");
        using (var producer = TestKafka.PlainProducer())
        {
            await producer.ProduceAsync(_probe.InTopic, new Message<byte[], byte[]>
            {
                Key = Encoding.UTF8.GetBytes(key),
                Value = """{"question":"hello"}"""u8.ToArray(),
                Headers = new Headers
                {
                    { "ce_specversion", "1.0"u8.ToArray() },
                    { "ce_id", "plain-1"u8.ToArray() },
                    { "ce_type", "probe.echo"u8.ToArray() },
                    { "ce_source", "/kcat"u8.ToArray() },
                    { "content-type", "application/json"u8.ToArray() },
                    { "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"u8.ToArray() },
                    { "tenantid", "dealer-1"u8.ToArray() },
                },
            });
        }

        await Eventually.True(() => ProbeLog.For(key).Count == 1, "the plain producer's event reaches the grain");
        var got = ProbeLog.For(key).Single();
        Assert.Equal(("plain-1", "probe.echo", "dealer-1"), (got.EventId, got.Type, got.TenantId));
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", got.TraceParent);
        Assert.Contains("hello", got.Data);

        var replies = TestKafka.ReadTopic(_probe.OutTopic, _probe.Partitions, seen => seen.Count >= 1);
        var reply = Assert.Single(replies);
        string Header(string name) => Encoding.UTF8.GetString(reply.Message.Headers.GetLastBytes(name));
        Assert.Equal(key, Encoding.UTF8.GetString(reply.Message.Key));
        Assert.Equal("plain-1:echo", Header("ce_id"));
        Assert.Equal("probe.echoed", Header("ce_type"));
        Assert.Equal("/tests/probe", Header("ce_source"));
        Assert.Equal("dealer-1", Header("ce_tenantid")); // read from the old un-prefixed header, written as the binding says
        Assert.Equal("1.0", Header("ce_specversion"));
        Assert.True(DateTimeOffset.TryParse(Header("ce_time"), out _));
        Assert.Equal("""{"reply":"plain-1"}""", Encoding.UTF8.GetString(reply.Message.Value));
        // Produced where the queue mapper says the stream lives: murmur2 of the key, as Java clients do.
        Assert.Equal(KafkaPartitioner.PartitionFor(reply.Message.Key, _probe.Partitions), reply.Partition.Value);
    }

    [Fact]
    public async Task A_malformed_event_goes_to_the_dead_letter_topic_with_its_reason_and_the_queue_goes_on()
    {
        var key = "poison-" + Guid.NewGuid().ToString("N");
        using (var producer = TestKafka.PlainProducer())
        {
            var keyBytes = Encoding.UTF8.GetBytes(key);
            // No ce_type header, then a body that is not JSON, then a good event on the same partition.
            await producer.ProduceAsync(_probe.InTopic, new Message<byte[], byte[]>
            {
                Key = keyBytes, Value = "{}"u8.ToArray(),
                Headers = new Headers { { "ce_id", "bad-1"u8.ToArray() }, { "ce_source", "/x"u8.ToArray() } },
            });
            await producer.ProduceAsync(_probe.InTopic, new Message<byte[], byte[]>
            {
                Key = keyBytes, Value = "not json"u8.ToArray(),
                Headers = new Headers { { "ce_id", "bad-2"u8.ToArray() }, { "ce_type", "t"u8.ToArray() }, { "ce_source", "/x"u8.ToArray() } },
            });
        }
        var good = Event(1);
        await _probe.Stream(key).OnNextAsync(good);

        await Eventually.True(() => ProbeLog.For(key).Count == 1, "the good event after the poison ones is delivered");
        Assert.Equal(good.Id, ProbeLog.For(key).Single().EventId);

        var dead = TestKafka.ReadTopic(_probe.DeadLetterTopic, 1, seen => seen.Count >= 2);
        Assert.Equal(2, dead.Count);
        string Reason(ConsumeResult<byte[], byte[]> r) => Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("dlq_reason"));
        Assert.Contains("ce_type", Reason(dead[0]));
        Assert.Contains("JSON", Reason(dead[1]));
        Assert.Equal(_probe.InTopic, Encoding.UTF8.GetString(dead[0].Message.Headers.GetLastBytes("dlq_topic")));
        Assert.Equal("not json", Encoding.UTF8.GetString(dead[1].Message.Value));
    }

    [Fact]
    public async Task Offsets_are_committed_only_after_orleans_delivered_the_events()
    {
        var key = "gate-" + Guid.NewGuid().ToString("N");
        var partition = KafkaPartitioner.PartitionFor(Encoding.UTF8.GetBytes(key), _probe.Partitions);
        // A second conversation on the same partition keeps flowing while the first is held.
        var neighbour = Enumerable.Range(0, 1000).Select(i => $"n{i}-{Guid.NewGuid():N}")
            .First(k => KafkaPartitioner.PartitionFor(Encoding.UTF8.GetBytes(k), _probe.Partitions) == partition);

        await _probe.Stream(key).OnNextAsync(Event(1));
        var held = Event(2, "probe.gate");
        await _probe.Stream(key).OnNextAsync(held);
        await Eventually.True(() => ProbeLog.Entered(held.Id), "the held event is being processed");
        var heldOffset = ProbeLog.For(key).Single(r => r.EventId == held.Id).Offset;

        for (var i = 0; i < 10; i++) await _probe.Stream(neighbour).OnNextAsync(Event(i));
        await Eventually.True(() => ProbeLog.For(neighbour).Count == 10, "the neighbour's events are delivered meanwhile");

        var whileHeld = TestKafka.CommittedOffset(_probe.GroupId, _probe.InTopic, partition);
        Assert.True(whileHeld is null || whileHeld <= heldOffset,
            $"committed {whileHeld} passed the undelivered offset {heldOffset}");

        ProbeLog.Open(held.Id);
        var last = ProbeLog.For(neighbour).Max(r => r.Offset);
        await Eventually.True(() => TestKafka.CommittedOffset(_probe.GroupId, _probe.InTopic, partition) == last + 1,
            "the commit reaches past the last delivered event once the held one completes");
    }

    [Fact]
    public async Task Every_topic_partition_is_one_queue_and_all_have_running_agents()
    {
        var mgmt = _probe.Client.GetGrain<IManagementGrain>(0);
        var counts = await mgmt.SendControlCommandToProvider<PersistentStreamProvider>(ProbeStreams.Provider,
            (int)PersistentStreamProviderCommand.GetNumberRunningAgents);
        Assert.Equal(_probe.Partitions, counts.Cast<int>().Sum());
    }
}
