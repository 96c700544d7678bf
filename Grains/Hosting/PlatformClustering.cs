using System.Net;
using Microsoft.Extensions.Configuration;
using Orleans.Hosting;

namespace Grains.Hosting;

/// <summary>
/// Localhost clustering from the <c>Orleans</c> section, the same for Portal and Silo hosts so that
/// they form one cluster: the first host (primary) on 11111, others with their own ports pointing at it.
/// </summary>
public static class PlatformClustering
{
    public static ISiloBuilder UsePlatformClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var orleans = configuration.GetSection("Orleans");
        return silo.UseLocalhostClustering(
            siloPort: orleans.GetValue("SiloPort", 11111),
            gatewayPort: orleans.GetValue("GatewayPort", 30000),
            primarySiloEndpoint: new IPEndPoint(IPAddress.Loopback, orleans.GetValue("PrimarySiloPort", 11111)),
            serviceId: orleans["ServiceId"] ?? "agent-platform",
            clusterId: orleans["ClusterId"] ?? "dev");
    }
}
