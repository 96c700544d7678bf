using Npgsql;

namespace Grains.Hosting;

/// <summary>
/// The PostgreSQL schema the ADO.NET providers need (tables, functions and the queries they look up by key),
/// kept in the project as <c>Hosting/Sql/postgres-*.sql</c> and applied in file order. Idempotent: every
/// script can run again on a database that has it. Applied by <c>dotnet run --project Silo -- schema</c>
/// and by the tests.
/// </summary>
public static class PostgresSchema
{
    private const string Prefix = "Grains.Hosting.Sql.postgres-";

    public static IReadOnlyList<string> Scripts { get; } = typeof(PostgresSchema).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    public static async Task ApplyAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var script in Scripts)
        {
            await using var stream = typeof(PostgresSchema).Assembly.GetManifestResourceStream(script)!;
            using var reader = new StreamReader(stream);
            await using var command = new NpgsqlCommand(await reader.ReadToEndAsync(cancellationToken), connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Start-up check: a clear message instead of the providers' first failing query.</summary>
    public static async Task VerifyAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT count(*) FROM orleansquery", connection);
            await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            throw new InvalidOperationException("The PostgreSQL database has no Orleans schema: run `dotnet run --project Silo -- schema` with the same ConnectionStrings:Postgres first.", e);
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException($"PostgreSQL (ConnectionStrings:Postgres) cannot be reached: {e.Message}", e);
        }
    }
}
