using Grains.Hosting;
using Grains.Tenants;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Grains.Tests.Persistence;

/// <summary>
/// With memory storage (the embedded default) a tenant whose silo died must come back from its seed, never
/// leave its customers' turns to be dead-lettered as "unknown tenant" (seen in a kill drill: 62 of 100 lost).
/// </summary>
public sealed class MemoryStoreSeedTests
{
    [Fact]
    public async Task Demo_tenants_come_back_from_their_seed_after_every_silo_that_held_them_is_killed()
    {
        var kafka = new PlatformKafkaOptions { BootstrapServers = TestKafka.BootstrapServers, TopicPrefix = TestKafka.UniquePrefix(), Embedded = TestKafka.Embedded };
        var builder = new InProcessTestClusterBuilder(2);
        var seedAtStart = true;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<IChatClient>(new ScriptedModel());
            // Replacement silos skip the start-up seeding, so only the restore on activation can bring tenants back.
            silo.Services.AddSingleton(new DemoTenantSeeding(true));
            silo.AddAgentPlatform(kafka, seedDemoTenants: seedAtStart);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            var directory = cluster.Client.GetGrain<ITenantDirectoryGrain>(0);
            Assert.Equal(DemoTenants.All.Length, (await directory.List()).Count);

            // Replace both original silos one after the other: nothing they held in memory survives.
            seedAtStart = false;
            foreach (var original in cluster.Silos.ToList())
            {
                await cluster.KillSiloAsync(original);
                await cluster.StartAdditionalSiloAsync();
                await Eventually.True(() => Survives(async () => (await cluster.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count == 2), "a replacement silo joined");
            }

            await Eventually.True(() => Survives(async () => (await directory.List()).Count == DemoTenants.All.Length), "the directory lists every demo tenant again");
            foreach (var seed in DemoTenants.All)
            {
                var profile = await cluster.Client.GetGrain<ITenantGrain>(seed.TenantId).GetProfile();
                Assert.NotNull(profile);
                Assert.Equal(seed.Name, profile.Name);
            }
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    // The client's gateway may be the killed silo: until it moves to a live one, calls fail and are retried.
    private static async Task<bool> Survives(Func<Task<bool>> probe)
    {
        try { return await probe(); }
        catch (Orleans.Runtime.OrleansException) { return false; }
        catch (TimeoutException) { return false; }
    }
}
