using Billing.Ledger.Postgres;
using Microsoft.Extensions.Configuration;

namespace Billing.Host.Database;

/// <summary>Where the ledger's database is: the configured connection string
/// (<c>ConnectionStrings:Ledger</c> or <c>BILLING_DB</c>), or else a private embedded cluster
/// kept under <c>.data/postgres</c> in the working directory.</summary>
public static class LedgerDatabase
{
    public static string? ConfiguredConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Ledger") is { Length: > 0 } cs ? cs
        : configuration["BILLING_DB"] is { Length: > 0 } db ? db
        : null;

    /// <summary>The Host's local state: <c>BILLING_DATA_DIR</c>, else <c>.data</c> in the working directory.</summary>
    public static string DataDirectory(IConfiguration configuration) =>
        configuration["BILLING_DATA_DIR"] is { Length: > 0 } dir ? dir : Path.Combine(Directory.GetCurrentDirectory(), ".data");

    public static string EmbeddedDataDirectory(IConfiguration configuration) => Path.Combine(DataDirectory(configuration), "postgres");

    /// <summary>Starts (or adopts) the embedded cluster and makes sure its database exists
    /// (<c>billing</c>, or <c>BILLING_EMBEDDED_DATABASE</c>; dropped and recreated first when
    /// <c>BILLING_EMBEDDED_FRESH=true</c>, as the demo does). The caller owns the returned server
    /// and stops it on shutdown.</summary>
    public static async Task<(EmbeddedPostgres Server, string ConnectionString)> StartEmbeddedAsync(IConfiguration configuration, CancellationToken ct)
    {
        var database = configuration["BILLING_EMBEDDED_DATABASE"] is { Length: > 0 } name ? name : "billing";
        if (!System.Text.RegularExpressions.Regex.IsMatch(database, "^[a-z_][a-z0-9_]{0,62}$"))
        {
            throw new InvalidOperationException($"BILLING_EMBEDDED_DATABASE '{database}' must be a lower-case identifier.");
        }

        var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(EmbeddedDataDirectory(configuration)), ct);
        await using var admin = new Npgsql.NpgsqlConnection(server.ConnectionString());
        await admin.OpenAsync(ct);
        if (configuration.GetValue("BILLING_EMBEDDED_FRESH", false))
        {
            await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync(ct);
        }

        await using var exists = new Npgsql.NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", admin);
        exists.Parameters.Add(new Npgsql.NpgsqlParameter { Value = database });
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync(ct);
        }

        return (server, server.ConnectionString(database));
    }
}
