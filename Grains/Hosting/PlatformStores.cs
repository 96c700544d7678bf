using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.Configuration;
using Orleans.Hosting;
using StackExchange.Redis;

namespace Grains.Hosting;

/// <summary>Where grain state, cluster membership and reminders are kept.</summary>
public enum StoreKind { Memory, Redis, Postgres }

/// <summary>
/// <c>Orleans:Storage</c>, <c>Orleans:Clustering</c> and <c>Orleans:Reminders</c> (memory | redis | postgres), with
/// <c>ConnectionStrings:Redis</c> and <c>ConnectionStrings:Postgres</c>. Memory is the embedded default: nothing to
/// install, and nothing survives the process that held it.
/// </summary>
public sealed record PlatformStoreOptions
{
    public StoreKind Storage { get; init; } = StoreKind.Memory;
    public StoreKind Clustering { get; init; } = StoreKind.Memory;
    public StoreKind Reminders { get; init; } = StoreKind.Memory;
    public string? Redis { get; init; }
    public string? Postgres { get; init; }

    public static PlatformStoreOptions Memory { get; } = new();

    /// <summary>Reads and checks the settings; a wrong value stops start-up with a message that names the setting.</summary>
    public static PlatformStoreOptions From(IConfiguration configuration)
    {
        var options = new PlatformStoreOptions
        {
            Storage = Kind(configuration, "Orleans:Storage"),
            Clustering = Kind(configuration, "Orleans:Clustering"),
            Reminders = Kind(configuration, "Orleans:Reminders"),
            Redis = configuration.GetConnectionString("Redis"),
            Postgres = configuration.GetConnectionString("Postgres"),
        };
        options.Validate();
        // Orleans reads Orleans:Clustering and Orleans:Reminders itself (its provider-type configuration) and would
        // look for a provider by that value; the hosts register the providers from these options instead.
        foreach (var key in new[] { "Orleans:Clustering", "Orleans:Reminders" })
            if (configuration[key] is not null) configuration[key] = null;
        return options;
    }

    public IEnumerable<StoreKind> Kinds => [Storage, Clustering, Reminders];

    public void Validate()
    {
        if (Kinds.Contains(StoreKind.Redis) && string.IsNullOrWhiteSpace(Redis))
            throw new InvalidOperationException("Redis is selected in Orleans:Storage, Orleans:Clustering or Orleans:Reminders, but ConnectionStrings:Redis is empty (e.g. \"localhost:6379\").");
        if (Kinds.Contains(StoreKind.Postgres) && string.IsNullOrWhiteSpace(Postgres))
            throw new InvalidOperationException("PostgreSQL is selected in Orleans:Storage, Orleans:Clustering or Orleans:Reminders, but ConnectionStrings:Postgres is empty (e.g. \"Host=localhost;Database=agent_platform;Username=orleans;Password=…\").");
    }

    /// <summary>
    /// Start-up check of the configured servers, so that an unreachable Redis or PostgreSQL, or a database
    /// without the schema, stops the host with a message that says which and what to do.
    /// </summary>
    public async Task VerifyAsync(CancellationToken cancellationToken = default)
    {
        if (Kinds.Contains(StoreKind.Redis))
        {
            try
            {
                var options = RedisOptions();
                options.ConnectTimeout = 5000;
                await using var mux = await ConnectionMultiplexer.ConnectAsync(options);
                await mux.GetDatabase().PingAsync();
            }
            catch (RedisException e)
            {
                throw new InvalidOperationException($"Redis (ConnectionStrings:Redis = {Redis}) cannot be reached: {e.Message.Split(". ")[0]}.", e);
            }
        }
        if (Kinds.Contains(StoreKind.Postgres))
            await PostgresSchema.VerifyAsync(Postgres!, cancellationToken);
    }

    /// <summary>One line for the log and the operations page.</summary>
    public string Describe() =>
        $"storage {Name(Storage)}, clustering {Name(Clustering)}, reminders {Name(Reminders)}";

    private static string Name(StoreKind kind) => kind switch
    {
        StoreKind.Memory => "memory (embedded default: lost when the process stops)",
        StoreKind.Redis => "redis",
        _ => "postgres",
    };

    private static StoreKind Kind(IConfiguration configuration, string key) => configuration[key]?.Trim().ToLowerInvariant() switch
    {
        null or "" or "memory" => StoreKind.Memory,
        "redis" => StoreKind.Redis,
        "postgres" or "postgresql" => StoreKind.Postgres,
        var other => throw new InvalidOperationException($"{key} is \"{other}\"; it takes memory, redis or postgres."),
    };

    internal ConfigurationOptions RedisOptions()
    {
        var options = ConfigurationOptions.Parse(Redis!);
        // Fail at start when the server is not there, rather than hang on the first grain call.
        options.AbortOnConnectFail = true;
        return options;
    }
}

/// <summary>The grain storage names the platform's grains use; each is backed by the configured store.</summary>
public static class GrainStores
{
    public const string Tenants = "tenants";
    public const string Conversations = "conversations";
    public const string Control = "control";
    public const string Approvals = "approvals";
    public const string Figures = "figures";
    public const string Sessions = "sessions";
    public const string Audit = "audit";

    public static readonly string[] All = [Tenants, Conversations, Control, Approvals, Figures, Sessions, Audit];

    /// <summary>The ADO.NET invariant name for PostgreSQL (Npgsql).</summary>
    public const string PostgresInvariant = "Npgsql";

    public static ISiloBuilder AddPlatformGrainStorage(this ISiloBuilder silo, PlatformStoreOptions stores)
    {
        // Orleans' own serializer for stored state: it knows every [GenerateSerializer] type and tolerates added
        // fields by [Id]; the default JSON one cannot read back records holding collection expressions.
        silo.Services.AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>();
        // Implicit stream subscriptions only: pub-sub state is rebuilt by the grains' attributes, never stored.
        silo.AddMemoryGrainStorage("PubSubStore");
        foreach (var name in All)
            _ = stores.Storage switch
            {
                StoreKind.Redis => silo.AddRedisGrainStorage(name, o => o.ConfigurationOptions = stores.RedisOptions()),
                StoreKind.Postgres => silo.AddAdoNetGrainStorage(name, o => { o.Invariant = PostgresInvariant; o.ConnectionString = stores.Postgres; }),
                _ => silo.AddMemoryGrainStorage(name),
            };
        _ = stores.Reminders switch
        {
            StoreKind.Redis => silo.UseRedisReminderService(o => o.ConfigurationOptions = stores.RedisOptions()),
            StoreKind.Postgres => silo.UseAdoNetReminderService(o => { o.Invariant = PostgresInvariant; o.ConnectionString = stores.Postgres; }),
            _ => silo.UseInMemoryReminderService(),
        };
        return silo;
    }
}
