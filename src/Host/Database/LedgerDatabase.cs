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

    /// <summary>Starts (or adopts) the embedded cluster and makes sure the <c>billing</c>
    /// database exists. The caller owns the returned server and stops it on shutdown.</summary>
    public static async Task<(EmbeddedPostgres Server, string ConnectionString)> StartEmbeddedAsync(IConfiguration configuration, CancellationToken ct)
    {
        var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(EmbeddedDataDirectory(configuration)), ct);
        await using var admin = new Npgsql.NpgsqlConnection(server.ConnectionString());
        await admin.OpenAsync(ct);
        await using var exists = new Npgsql.NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = 'billing'", admin);
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new Npgsql.NpgsqlCommand("CREATE DATABASE billing", admin);
            await create.ExecuteNonQueryAsync(ct);
        }

        return (server, server.ConnectionString("billing"));
    }
}
