using System.Net;
using Microsoft.Extensions.Configuration;
using Orleans.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;

namespace Grains.Hosting;

/// <summary>
/// Cluster membership from the <c>Orleans</c> section, the same for Portal and Silo hosts so that they form one
/// cluster. <c>Orleans:Clustering</c> = memory: localhost clustering, the first host (primary) on 11111, others
/// pointing at it; redis or postgres: a membership table there, so any silo can start, stop or die in any order.
/// </summary>
public static class PlatformClustering
{
    public static ISiloBuilder UsePlatformClustering(this ISiloBuilder silo, IConfiguration configuration, PlatformStoreOptions stores)
    {
        var orleans = configuration.GetSection("Orleans");
        var siloPort = orleans.GetValue("SiloPort", 11111);
        var gatewayPort = orleans.GetValue("GatewayPort", 30000);
        var (serviceId, clusterId) = Ids(orleans);
        if (stores.Clustering == StoreKind.Memory)
        {
            var primaryPort = orleans.GetValue("PrimarySiloPort", 11111);
            if (siloPort == primaryPort && LocalCluster.InUse(primaryPort))
            {
                // The primary runs already (a portal or silo started first): join it on ports of our own instead of
                // failing to bind, or worse, starting a second cluster beside it.
                siloPort = LocalCluster.FreePort();
                if (LocalCluster.InUse(gatewayPort)) gatewayPort = LocalCluster.FreePort();
                Console.Error.WriteLine($"Orleans: port {primaryPort} is taken, so this host joins the local cluster whose primary silo listens there " +
                    $"(cluster '{clusterId}'), on silo port {siloPort} and gateway port {gatewayPort}. Set Orleans:SiloPort to choose, or " +
                    "Orleans:Clustering=redis|postgres for silos on several machines.");
            }
            return silo.UseLocalhostClustering(siloPort, gatewayPort,
                primarySiloEndpoint: new IPEndPoint(IPAddress.Loopback, primaryPort),
                serviceId: serviceId, clusterId: clusterId);
        }

        silo.Configure<ClusterOptions>(o => { o.ServiceId = serviceId; o.ClusterId = clusterId; });
        // The address other silos and clients reach this one on; loopback unless the host says otherwise.
        var advertised = IPAddress.Parse(orleans["AdvertisedIPAddress"] ?? "127.0.0.1");
        silo.ConfigureEndpoints(advertised, siloPort, gatewayPort, listenOnAnyHostAddress: advertised.Equals(IPAddress.Loopback) is false);
        return stores.Clustering == StoreKind.Redis
            ? silo.UseRedisClustering(o => o.ConfigurationOptions = stores.RedisOptions())
            : silo.UseAdoNetClustering(o => { o.Invariant = GrainStores.PostgresInvariant; o.ConnectionString = stores.Postgres; });
    }

    /// <summary>For a portal that is an Orleans client of separate silos.</summary>
    public static IClientBuilder UsePlatformClustering(this IClientBuilder client, IConfiguration configuration, PlatformStoreOptions stores)
    {
        var orleans = configuration.GetSection("Orleans");
        var (serviceId, clusterId) = Ids(orleans);
        if (stores.Clustering == StoreKind.Memory)
            return client.UseLocalhostClustering(orleans.GetValue("GatewayPort", 30000), serviceId, clusterId);
        client.Configure<ClusterOptions>(o => { o.ServiceId = serviceId; o.ClusterId = clusterId; });
        return stores.Clustering == StoreKind.Redis
            ? client.UseRedisClustering(o => o.ConfigurationOptions = stores.RedisOptions())
            : client.UseAdoNetClustering(o => { o.Invariant = GrainStores.PostgresInvariant; o.ConnectionString = stores.Postgres; });
    }

    /// <summary>
    /// A started host with an Orleans client of the cluster <paramref name="settings"/> describe (its Orleans:* keys and
    /// connection strings): for tools beside the silos (the rebuild command, the drill, tests).
    /// </summary>
    public static async Task<IHost> StartClientAsync(IConfiguration settings, LogLevel logLevel = LogLevel.Warning, CancellationToken cancellationToken = default)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddConfiguration(settings);
        builder.Logging.SetMinimumLevel(logLevel);
        var stores = PlatformStoreOptions.From(builder.Configuration);
        builder.UseOrleansClient(client => client.UsePlatformClustering(builder.Configuration, stores));
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }

    private static (string ServiceId, string ClusterId) Ids(IConfigurationSection orleans) =>
        (orleans["ServiceId"] ?? "agent-platform", orleans["ClusterId"] ?? "dev");
}
