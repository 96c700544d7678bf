using Grains.Tests.Infrastructure;
using Orleans.Runtime;
using Streaming.Kafka;
using Streaming.Kafka.Events;
using Streaming.Kafka.Providers;

namespace Grains.Tests.Streaming;

public sealed class KafkaStreamLogTests : IAsyncLifetime
{
    private ProbeCluster _probe = null!;

    public async Task InitializeAsync() => _probe = await ProbeCluster.StartAsync();

    public async Task DisposeAsync() => await _probe.DisposeAsync();

    [Fact]
    public async Task A_stream_rewound_from_a_delivered_token_reads_the_same_events_again_in_order()
    {
        var key = "rewind-" + Guid.NewGuid().ToString("N");
        var other = "other-" + Guid.NewGuid().ToString("N");
        var sent = new List<CloudEvent>();
        for (var i = 0; i < 10; i++)
        {
            var e = CloudEvent.Create("probe.data", "/tests", new { i });
            sent.Add(e);
            await _probe.Stream(key).OnNextAsync(e);
            await _probe.Stream(other).OnNextAsync(CloudEvent.Create("probe.data", "/tests", new { i }));
        }
        await Eventually.True(() => ProbeLog.For(key).Count == 10, "all delivered once");
        var fourth = ProbeLog.For(key)[3];

        var log = KafkaStreamLog.For(_probe.Cluster.GetSiloServiceProvider(), ProbeStreams.Provider);
        var stream = StreamId.Create(ProbeStreams.In, key);
        var fromFourth = await log.ReadAsync(stream, new KafkaSequenceToken(fourth.Offset)).ToListAsync();
        Assert.Equal(sent.Skip(3).Select(e => e.Id), fromFourth.Select(r => r.Event.Id));
        Assert.Equal(sent.Skip(3).Select(e => e.Data), fromFourth.Select(r => r.Event.Data));
        Assert.Equal(fourth.Offset, fromFourth[0].Token.Offset);

        var everything = await log.ReadAsync(stream).ToListAsync();
        Assert.Equal(sent.Select(e => e.Id), everything.Select(r => r.Event.Id));
        // Reading did not move the pipeline: nothing was delivered again.
        Assert.Equal(10, ProbeLog.For(key).Count);
    }
}
