using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;

namespace Grains.Hosting;

/// <summary>
/// The embedded defaults run one machine's cluster. A second host started beside a running one (the README's
/// <c>dotnet run --project Silo</c> next to the portal) joins it rather than starting a second, unrelated cluster: it
/// uses the Kafka the bootstrap file names when that Kafka answers, and, when the primary silo's port is taken, takes
/// free ports of its own and joins that primary. The bootstrap file is written only by the host whose embedded Kafka
/// it names, and removed when that host stops.
/// </summary>
public static class LocalCluster
{
    /// <summary>The Kafka a running local host announced in <paramref name="file"/>, if it answers within 3 s.</summary>
    public static string? RunningKafka(string file)
    {
        if (!File.Exists(file)) return null;
        var servers = File.ReadAllText(file).Trim();
        if (servers.Length == 0) return null;
        try
        {
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = servers, SocketTimeoutMs = 3000 })
                .SetLogHandler((_, _) => { }).Build();
            return admin.GetMetadata(TimeSpan.FromSeconds(3)).Brokers.Count > 0 ? servers : null;
        }
        catch (KafkaException)
        {
            return null; // a file left by a host that died: this host starts its own and rewrites it
        }
    }

    /// <summary>Removes the bootstrap file if it still names <paramref name="servers"/> (another host may have rewritten it).</summary>
    public static void Withdraw(string file, string servers)
    {
        try
        {
            if (File.Exists(file) && File.ReadAllText(file).Trim() == servers) File.Delete(file);
        }
        catch (IOException)
        {
            // best effort: a stale file is recognised as dead by the next host (RunningKafka)
        }
    }

    public static bool InUse(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
