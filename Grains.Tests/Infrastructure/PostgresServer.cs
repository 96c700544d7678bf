using System.Diagnostics;
using Grains.Hosting;
using Npgsql;

namespace Grains.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL (Debian's package) with a data folder of its own on a free loopback port, started once per
/// test process as the unprivileged <c>postgres</c> user (initdb and postgres refuse root), stopped at exit.
/// Each caller gets a fresh database with the project's schema applied.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<int> Port = new(Start);

    public static Task<string> NewDatabaseAsync() => NewDatabaseAsync($"Host=127.0.0.1;Port={Port.Value};Username=postgres;Database=postgres");

    /// <summary>Creates a database on the server <paramref name="adminConnectionString"/> points at and applies the schema.</summary>
    public static async Task<string> NewDatabaseAsync(string adminConnectionString)
    {
        var name = "t" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(adminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
        await PostgresSchema.ApplyAsync(connectionString);
        return connectionString;
    }

    private static int Start()
    {
        var bin = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Order().LastOrDefault() : null;
        if (bin is null || !File.Exists(Path.Combine(bin, "bin", "initdb")))
            throw new InvalidOperationException("PostgreSQL is not installed: run ./test.sh, which installs it from Debian's packages (apt-get install postgresql).");
        bin = Path.Combine(bin, "bin");
        var port = RedisServer.FreePort();
        var folder = Directory.CreateTempSubdirectory("pg-test-").FullName;
        Run("chown", "postgres", folder);
        var data = Path.Combine(folder, "data");
        Run("runuser", "-u", "postgres", "--", Path.Combine(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync");
        var server = Process.Start(new ProcessStartInfo("runuser",
            ["-u", "postgres", "--", Path.Combine(bin, "postgres"), "-D", data, "-p", port.ToString(), "-k", folder,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Run("runuser", "-u", "postgres", "--", Path.Combine(bin, "pg_ctl"), "-D", data, "stop", "-m", "immediate");
                Directory.Delete(folder, true);
            }
            catch (Exception) { /* best effort at exit */ }
        };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=2");
                probe.Open();
                return port;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline && !server.HasExited)
            {
                Thread.Yield();
            }
        }
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {error.Result}");
    }
}
