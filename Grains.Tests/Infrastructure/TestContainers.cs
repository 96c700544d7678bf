using Testcontainers.Kafka;
using Testcontainers.PostgreSql;
using Testcontainers.Redis;

namespace Grains.Tests.Infrastructure;

/// <summary>
/// One switch, <c>TESTCONTAINERS=1</c>: where a Docker engine answers, the tests' Kafka is a real Apache Kafka broker
/// and their Redis and PostgreSQL are containers too (same tests, same assertions: this is where the stream provider
/// meets a real broker). With no engine it says so once and the tests use the embedded cluster and Debian's servers,
/// as they do without the switch. Containers are started once per test process and removed by Testcontainers'
/// resource reaper when it exits. (The kill drill always runs its own processes on this machine.)
/// </summary>
public static class TestContainers
{
    public const string Switch = "TESTCONTAINERS";

    private static readonly Lazy<bool> Engine = new(() =>
    {
        if (Environment.GetEnvironmentVariable(Switch) is not ("1" or "true")) return false;
        var socket = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } || File.Exists("/var/run/docker.sock");
        Console.Error.WriteLine(socket
            ? $"{Switch}=1: Kafka, Redis and PostgreSQL for the tests run in containers."
            : $"{Switch}=1, but no Docker engine here (no DOCKER_HOST, no /var/run/docker.sock): the tests run on the embedded Kafka cluster and Debian's redis-server and PostgreSQL instead.");
        return socket;
    });

    /// <summary>True when the switch is on and a Docker engine is there.</summary>
    public static bool InUse => Engine.Value;

    private static readonly Lazy<string> Kafka = new(() =>
    {
        var container = new KafkaBuilder("apache/kafka:3.9.1").Build();
        container.StartAsync().GetAwaiter().GetResult();
        var address = new Uri(container.GetBootstrapAddress()); // "plaintext://host:port/"
        return $"{address.Host}:{address.Port}";
    });

    private static readonly Lazy<string> Redis = new(() =>
    {
        var container = new RedisBuilder("redis:7.4").Build();
        container.StartAsync().GetAwaiter().GetResult();
        return container.GetConnectionString();
    });

    private static readonly Lazy<string> Postgres = new(() =>
    {
        var container = new PostgreSqlBuilder("postgres:16").Build();
        container.StartAsync().GetAwaiter().GetResult();
        return container.GetConnectionString();
    });

    public static string KafkaBootstrapServers => Kafka.Value;

    public static string RedisConnectionString => Redis.Value;

    /// <summary>An admin connection string (database <c>postgres</c>) of the PostgreSQL container.</summary>
    public static string PostgresAdmin => Postgres.Value;
}

/// <summary>The Redis the tests use: the container under <see cref="TestContainers"/>, else their own redis-server.</summary>
public static class TestRedis
{
    public static string ConnectionString => TestContainers.InUse ? TestContainers.RedisConnectionString : RedisServer.ConnectionString;
}

/// <summary>A fresh PostgreSQL database with the project's schema: in the container under <see cref="TestContainers"/>, else on the tests' own server.</summary>
public static class TestPostgres
{
    public static Task<string> NewDatabaseAsync() =>
        TestContainers.InUse ? PostgresServer.NewDatabaseAsync(TestContainers.PostgresAdmin) : PostgresServer.NewDatabaseAsync();
}
