using Grains.Hosting;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Grains.Tests.Persistence;

/// <summary>Wrong store settings stop start-up with a message that names the setting and what to do.</summary>
public sealed class StoreOptionsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    [Fact]
    public void Memory_is_the_default_and_says_it_is_lost_with_the_process()
    {
        var stores = PlatformStoreOptions.From(Config());
        Assert.All(stores.Kinds, k => Assert.Equal(StoreKind.Memory, k));
        Assert.Contains("memory (embedded default: lost when the process stops)", stores.Describe());
    }

    [Fact]
    public void An_unknown_store_or_a_missing_connection_string_is_refused_by_name()
    {
        Assert.Contains("Orleans:Clustering is \"sql\"", Assert.Throws<InvalidOperationException>(() => PlatformStoreOptions.From(Config(("Orleans:Clustering", "sql")))).Message);
        Assert.Contains("ConnectionStrings:Redis is empty", Assert.Throws<InvalidOperationException>(() => PlatformStoreOptions.From(Config(("Orleans:Storage", "redis")))).Message);
        Assert.Contains("ConnectionStrings:Postgres is empty", Assert.Throws<InvalidOperationException>(() => PlatformStoreOptions.From(Config(("Orleans:Reminders", "postgres")))).Message);
    }

    [Fact]
    public void Our_clustering_and_reminders_keys_are_not_left_for_Orleans_own_provider_configuration()
    {
        // Orleans reads Orleans:Reminders / Orleans:Clustering as its own provider settings; seen as
        // "Could not find Reminders provider named 'Default'" when the portal was started with them.
        var configuration = Config(("Orleans:Reminders", "redis"), ("Orleans:Clustering", "redis"), ("ConnectionStrings:Redis", "localhost:6379"));
        var stores = PlatformStoreOptions.From(configuration);
        Assert.Equal(StoreKind.Redis, stores.Reminders);
        Assert.Equal(StoreKind.Redis, stores.Clustering);
        Assert.Null(configuration["Orleans:Reminders"]);
        Assert.Null(configuration["Orleans:Clustering"]);
    }

    [Fact]
    public async Task An_unreachable_redis_is_named_at_start()
    {
        var stores = new PlatformStoreOptions { Storage = StoreKind.Redis, Redis = "127.0.0.1:" + RedisServer.FreePort() };
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => stores.VerifyAsync());
        Assert.Contains("cannot be reached", error.Message);
    }

    [Fact]
    public async Task A_postgres_database_without_the_schema_says_which_command_applies_it()
    {
        var withSchema = await TestPostgres.NewDatabaseAsync();
        await new PlatformStoreOptions { Storage = StoreKind.Postgres, Postgres = withSchema }.VerifyAsync();

        // A second, empty database on the same server.
        var empty = new NpgsqlConnectionStringBuilder(withSchema) { Database = "empty" + Guid.NewGuid().ToString("N")[..8] };
        await using (var admin = new NpgsqlConnection(withSchema))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {empty.Database}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new PlatformStoreOptions { Storage = StoreKind.Postgres, Postgres = empty.ConnectionString }.VerifyAsync());
        Assert.Contains("dotnet run --project Silo -- schema", error.Message);

        // Applying the schema twice is harmless.
        await PostgresSchema.ApplyAsync(withSchema);
    }
}
