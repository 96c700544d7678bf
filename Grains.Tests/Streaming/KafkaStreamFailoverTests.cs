using Grains.Tests.Infrastructure;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Streaming.Kafka.Events;

namespace Grains.Tests.Streaming;

/// <summary>Several silos sharing a provider's partitions, and what happens when one of them dies.</summary>
public sealed class KafkaStreamFailoverTests
{
    [Fact]
    public async Task Two_silos_share_the_partitions_and_together_deliver_everything()
    {
        await using var probe = await ProbeCluster.StartAsync(silos: 2, partitions: 16);
        var mgmt = probe.Client.GetGrain<IManagementGrain>(0);
        int[] perSilo = [];
        await Eventually.True(async () =>
        {
            perSilo = (await mgmt.SendControlCommandToProvider<PersistentStreamProvider>(ProbeStreams.Provider,
                (int)PersistentStreamProviderCommand.GetNumberRunningAgents)).Cast<int>().ToArray();
            return perSilo.Length == 2 && perSilo.Sum() == probe.Partitions && perSilo.All(n => n > 0);
        }, "both silos run agents, together one per partition");

        var keys = Enumerable.Range(0, 16).Select(i => $"share-{i}-{Guid.NewGuid():N}").ToList();
        foreach (var k in keys)
            for (var i = 0; i < 5; i++)
                await probe.Stream(k).OnNextAsync(CloudEvent.Create("probe.data", "/tests", new { i }));
        await Eventually.True(() => ProbeLog.CountFor(keys) == 80, "80 events over 16 conversations delivered");
    }

    [Fact]
    public async Task No_event_is_lost_when_a_silo_is_killed_mid_stream()
    {
        await using var probe = await ProbeCluster.StartAsync(silos: 2, partitions: 16);
        var keys = Enumerable.Range(0, 20).Select(i => $"kill-{i}-{Guid.NewGuid():N}").ToList();
        var sent = new List<string>();

        async Task Send(int round)
        {
            foreach (var k in keys)
            {
                var e = CloudEvent.Create("probe.data", "/tests", new { round });
                sent.Add(e.Id);
                await probe.Stream(k).OnNextAsync(e);
            }
        }

        for (var round = 0; round < 5; round++) await Send(round);
        await Eventually.True(() => ProbeLog.CountFor(keys) >= 40, "some events delivered before the crash");

        // A hard kill: no graceful shutdown, no final commit from the dead silo.
        var victim = probe.Cluster.Silos.Last();
        await probe.Cluster.KillSiloAsync(victim);
        for (var round = 5; round < 10; round++) await Send(round);

        await Eventually.True(() =>
        {
            var seen = keys.SelectMany(k => ProbeLog.For(k)).Select(r => r.EventId).ToHashSet();
            return sent.All(seen.Contains);
        }, "every accepted event is delivered at least once after the kill", TimeSpan.FromSeconds(90));

        // Order per conversation survives too (duplicates from redelivery aside).
        foreach (var k in keys)
        {
            var firstSeen = ProbeLog.For(k).Select(r => r.Offset).Distinct().ToList();
            Assert.Equal(firstSeen.Order(), firstSeen);
        }
    }
}
