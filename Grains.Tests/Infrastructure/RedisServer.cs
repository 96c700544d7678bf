using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Grains.Tests.Infrastructure;

/// <summary>
/// A real redis-server (Debian's package, installed by test.sh) on a free loopback port with a data folder of
/// its own, started once per test process and stopped when it exits. Tests keep apart by ServiceId.
/// </summary>
public static class RedisServer
{
    private static readonly Lazy<string> Server = new(Start);

    /// <summary>The connection string ("127.0.0.1:port"); throws with the reason when redis-server is missing.</summary>
    public static string ConnectionString => Server.Value;

    private static string Start()
    {
        var executable = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed: run ./test.sh, which installs it from Debian's packages (apt-get install redis-server).");
        var port = FreePort();
        var folder = Directory.CreateTempSubdirectory("redis-test-").FullName;
        var process = Process.Start(new ProcessStartInfo(executable,
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--dir", folder, "--save", "", "--appendonly", "no", "--daemonize", "no"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { process.Kill(); process.WaitForExit(5000); Directory.Delete(folder, true); } catch (Exception) { /* best effort at exit */ }
        };
        var connection = $"127.0.0.1:{port}";
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var mux = ConnectionMultiplexer.Connect(connection + ",abortConnect=true,connectTimeout=1000");
                mux.GetDatabase().Ping();
                return connection;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                Thread.Yield();
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
