using Grains.Hosting;
using Grains.Tenants;
using Grains.Tests.Infrastructure;
using Grains.Tests.Pipeline;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Grains.Tests.Persistence;

/// <summary>
/// Membership in Redis or PostgreSQL, configured as the hosts configure it (<see cref="PlatformClustering"/>):
/// two silos with no primary find each other through the table, a client finds them through the gateway list,
/// and when one leaves the other carries its grains and a third can join.
/// </summary>
public sealed class ClusteringTests
{
    [Theory]
    [InlineData(StoreKind.Redis)]
    [InlineData(StoreKind.Postgres)]
    public async Task Silos_join_through_the_membership_table_and_one_carries_on_when_the_other_leaves(StoreKind kind)
    {
        var serviceId = "cluster-" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string?>
        {
            ["Orleans:ServiceId"] = serviceId,
            ["Orleans:ClusterId"] = serviceId,
            ["Orleans:Storage"] = kind.ToString(),
            ["Orleans:Clustering"] = kind.ToString(),
            ["Orleans:Reminders"] = kind.ToString(),
            ["ConnectionStrings:Redis"] = kind == StoreKind.Redis ? TestRedis.ConnectionString : null,
            ["ConnectionStrings:Postgres"] = kind == StoreKind.Postgres ? await TestPostgres.NewDatabaseAsync() : null,
        };
        var kafka = new PlatformKafkaOptions { BootstrapServers = TestKafka.BootstrapServers, TopicPrefix = TestKafka.UniquePrefix(), Embedded = TestKafka.Embedded };

        using var first = await StartSiloAsync(settings, kafka);
        using var second = await StartSiloAsync(settings, kafka);
        using var client = await PlatformClustering.StartClientAsync(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        var management = client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        await Eventually.True(async () => (await management.GetHosts(onlyActive: true)).Count == 2, "both silos are active in the membership table");

        var grains = client.Services.GetRequiredService<IClusterClient>();
        var tenant = grains.GetGrain<ITenantGrain>("stuttgart-motors");
        var profile = (await tenant.GetProfile())!;
        Assert.True((await tenant.UpdatePolicy(profile.Policy with { Competitors = [.. profile.Policy.Competitors, "Clustered Cars"] }, "admin@example.com")).Accepted);

        // One silo leaves; the other takes its grains (state from the shared storage).
        var leaving = first.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        await first.StopAsync();
        await Eventually.True(async () => (await management.GetHosts(onlyActive: true)).Keys.SequenceEqual([second.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress]),
            "the remaining silo sees the other one leave");
        Assert.Contains("Clustered Cars", (await tenant.GetProfile())!.Policy.Competitors);

        using var third = await StartSiloAsync(settings, kafka);
        await Eventually.True(async () => (await management.GetHosts(onlyActive: true)).Count == 2, "a new silo joins without a primary");
        var all = await management.GetHosts(onlyActive: false);
        Assert.Equal(SiloStatus.Dead, all[leaving]);
    }

    private static async Task<IHost> StartSiloAsync(Dictionary<string, string?> settings, PlatformKafkaOptions kafka)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration["Orleans:SiloPort"] = RedisServer.FreePort().ToString();
        builder.Configuration["Orleans:GatewayPort"] = RedisServer.FreePort().ToString();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var stores = PlatformStoreOptions.From(builder.Configuration);
        builder.UseOrleans(silo =>
        {
            silo.UsePlatformClustering(builder.Configuration, stores);
            silo.Services.AddSingleton<IChatClient>(new ScriptedModel());
            silo.AddAgentPlatform(kafka, stores: stores);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
