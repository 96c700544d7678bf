using Confluent.Kafka;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Streaming.Kafka;
using Streaming.Kafka.Providers;

namespace Grains.Tests.Streaming;

/// <summary>The shared fetching consumers and the group offsets on their own, where timing can be controlled more tightly than through a silo.</summary>
public sealed class KafkaFetcherTests
{
    [Fact]
    public async Task Partitions_attached_while_a_burst_is_written_are_read_from_their_first_offset()
    {
        var topic = TestKafka.UniquePrefix() + "burst";
        TestKafka.Embedded?.CreateTopic(topic, 4);
        var options = new KafkaStreamOptions { BootstrapServers = TestKafka.BootstrapServers };
        using var fetcher = new KafkaFetcher("burst", options, KafkaClientConfig.MockFetchWait, NullLogger.Instance);
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.Producer(options)).Build();
        const int total = 50_000;

        // Attach to empty partitions, then write at full speed while librdkafka starts fetching.
        var buffers = await Task.WhenAll(Enumerable.Range(0, 4).Select(p => fetcher.AttachAsync(new KafkaTopicPartition(topic, p), null, total, TimeSpan.FromSeconds(10))));
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

    [Fact]
    public void The_embedded_cluster_is_recognised_and_its_fetches_wait_briefly_since_it_answers_an_empty_fetch_only_when_the_wait_is_over()
    {
        var options = new KafkaStreamOptions { BootstrapServers = TestKafka.BootstrapServers };
        var embedded = TestKafka.Embedded is not null;
        Assert.Equal(embedded, KafkaClientConfig.IsMockCluster(options));
        Assert.Equal(embedded ? KafkaClientConfig.MockFetchWait : KafkaClientConfig.BrokerFetchWait, KafkaClientConfig.FetchWaitOf(options));
        options.FetchWait = TimeSpan.FromMilliseconds(250);
        Assert.Equal(TimeSpan.FromMilliseconds(250), KafkaClientConfig.FetchWaitOf(options));
        // A cluster that does not answer is of no known kind, and gets the wait that is correct on any.
        var nowhere = new KafkaStreamOptions { BootstrapServers = "127.0.0.1:1", StartupTimeout = TimeSpan.FromSeconds(1) };
        Assert.Null(KafkaClientConfig.IsMockCluster(nowhere));
        Assert.Equal(KafkaClientConfig.MockFetchWait, KafkaClientConfig.FetchWaitOf(nowhere));
    }

    [Fact]
    public async Task Readers_of_different_partitions_share_one_consumer_and_two_groups_reading_one_partition_keep_their_own_offsets()
    {
        var topic = TestKafka.UniquePrefix() + "shared";
        TestKafka.Embedded?.CreateTopic(topic, 2);
        var options = new KafkaStreamOptions { BootstrapServers = TestKafka.BootstrapServers };
        using var pool = new KafkaClientPool(NullLoggerFactory.Instance);
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.Producer(options)).Build();
        for (var i = 0; i < 20; i++)
            producer.Produce(new TopicPartition(topic, i % 2), new Message<byte[], byte[]> { Key = [(byte)(i % 2)], Value = [(byte)i] });
        producer.Flush(TimeSpan.FromSeconds(30));
        KafkaTopicPartition p0 = new(topic, 0), p1 = new(topic, 1);
        var fetchers = pool.Fetchers(options);
        var offsets = pool.GroupOffsets(options);

        // Group a reads both partitions, group b partition 0: two consumers in all, not one per group and partition.
        var a0 = fetchers.Reserve(p0);
        var a1 = fetchers.Reserve(p1);
        var b0 = fetchers.Reserve(p0);
        Assert.Equal(2, fetchers.Count);
        var read = await Task.WhenAll(a0.AttachAsync(null, 100, TimeSpan.FromSeconds(10)), a1.AttachAsync(null, 100, TimeSpan.FromSeconds(10)), b0.AttachAsync(null, 100, TimeSpan.FromSeconds(10)));
        await Eventually.True(() => read.All(b => b.Count == 10), "each reader has its partition's 10 messages");

        // Each group commits its own position; a group that committed nothing has none.
        await Task.WhenAll(offsets.CommitAsync(topic + ".a", p0, 10), offsets.CommitAsync(topic + ".b", p0, 4));
        Assert.Equal(10, await offsets.CommittedAsync(topic + ".a", p0));
        Assert.Equal(4, await offsets.CommittedAsync(topic + ".b", p0));
        Assert.Null(await offsets.CommittedAsync(topic + ".a", p1));

        // Group b's reader stops and starts again: it frees its place and resumes at its group's offset.
        await b0.ReleaseAsync();
        var again = fetchers.Reserve(p0);
        Assert.Equal(2, fetchers.Count);
        var resumed = await again.AttachAsync(await offsets.CommittedAsync(topic + ".b", p0), 100, TimeSpan.FromSeconds(10));
        await Eventually.True(() => resumed.Count == 6, "group b reads from offset 4 on");
        Assert.Equal(4, resumed.Peek(1).Single().Offset.Value);

        // Commits made at once go together and in order: the group ends at the highest.
        await Task.WhenAll(Enumerable.Range(1, 20).Select(i => offsets.CommitAsync(topic + ".c", p1, i)));
        Assert.Equal(20, await offsets.CommittedAsync(topic + ".c", p1));
    }
}
