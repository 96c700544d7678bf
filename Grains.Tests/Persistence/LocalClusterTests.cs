using Grains.Hosting;
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
/// The embedded defaults, twice on one machine (the README's Silo next to a running portal): the second host joins the
/// first (its Kafka, its cluster) instead of starting another, and leaves the bootstrap file to the host it names.
/// </summary>
public sealed class LocalClusterTests
{
    [Fact]
    public async Task A_second_host_with_the_same_settings_joins_the_running_one_and_the_bootstrap_file_goes_with_its_owner()
    {
        var file = Path.Combine(Path.GetTempPath(), "agent-platform-tests", Guid.NewGuid().ToString("N"), "kafka-bootstrap");
        var port = RedisServer.FreePort().ToString();
        var settings = new Dictionary<string, string?>
        {
            // As in Silo/appsettings.json, with this test's own ports and file: both hosts are configured alike.
            ["Kafka:Embedded:BootstrapFile"] = file,
            ["Kafka:Embedded:Brokers"] = "1",
            ["Orleans:SiloPort"] = port,
            ["Orleans:PrimarySiloPort"] = port,
            ["Orleans:GatewayPort"] = RedisServer.FreePort().ToString(),
            ["Orleans:ClusterId"] = "local-" + Guid.NewGuid().ToString("N")[..8],
        };

        using var first = await StartAsync(settings);
        var firstKafka = first.Services.GetRequiredService<PlatformKafkaOptions>();
        Assert.True(firstKafka.IsEmbedded);
        var announced = await File.ReadAllTextAsync(file);

        using (var second = await StartAsync(settings))
        {
            var secondKafka = second.Services.GetRequiredService<PlatformKafkaOptions>();
            Assert.False(secondKafka.IsEmbedded); // no second Kafka
            Assert.Equal(firstKafka.BootstrapServers, secondKafka.BootstrapServers);
            Assert.Equal(announced, await File.ReadAllTextAsync(file));
            var management = first.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
            await Eventually.True(async () => (await management.GetHosts(onlyActive: true)).Count == 2, "the second host's silo joined the first's cluster");
            await second.StopAsync();
        }
        Assert.True(File.Exists(file), "a joined host leaves the file to its owner");

        await first.StopAsync();
        Assert.False(File.Exists(file), "the file must not outlive the Kafka it names");
    }

    private static async Task<IHost> StartAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var kafka = builder.AddPlatformKafka();
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
