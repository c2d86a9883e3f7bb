using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Billing.Ledger.Postgres;

/// <summary>One schema change: a numbered .sql file embedded in a project's assembly.
/// Numbers are global across assemblies and never reused.</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    public string Checksum { get; } = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)))[..16];
}

/// <summary>Applies the ordered migrations under an advisory lock so that several Hosts starting
/// at once apply each migration exactly once. Re-running is a no-op. A changed migration that
/// was already applied is an error: schema history is append-only, like the event log.</summary>
public sealed partial class Migrator(NpgsqlDataSource dataSource, IEnumerable<Assembly> assemblies)
{
    // Arbitrary constant: the advisory lock key every migrating process agrees on.
    private const long LockKey = 0x0B11_11A6_0001;

    private readonly IReadOnlyList<Migration> _migrations = Discover(assemblies);

    public IReadOnlyList<Migration> Migrations => _migrations;

    public static Migrator ForLedger(NpgsqlDataSource dataSource, params Assembly[] more) =>
        new(dataSource, [typeof(Migrator).Assembly, .. more]);

    public async Task<IReadOnlyList<Migration>> ApplyAsync(CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await Exec(connection, tx, $"SELECT pg_advisory_xact_lock({LockKey})", ct);
        await Exec(connection, tx, """
            CREATE SCHEMA IF NOT EXISTS ledger;
            CREATE TABLE IF NOT EXISTS ledger.schema_migrations (
                version    int PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now());
            """, ct);
        var applied = await ReadAppliedAsync(connection, tx, ct);
        var done = new List<Migration>();
        foreach (var migration in _migrations)
        {
            if (applied.TryGetValue(migration.Version, out var checksum))
            {
                if (checksum != migration.Checksum)
                {
                    throw new InvalidOperationException($"Migration {migration.Version} ({migration.Name}) changed after it was applied; add a new migration instead.");
                }

                continue;
            }

            await Exec(connection, tx, migration.Sql, ct);
            await using var record = new NpgsqlCommand("INSERT INTO ledger.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection, tx);
            record.Parameters.Add(new() { Value = migration.Version });
            record.Parameters.Add(new() { Value = migration.Name });
            record.Parameters.Add(new() { Value = migration.Checksum });
            await record.ExecuteNonQueryAsync(ct);
            done.Add(migration);
        }

        await tx.CommitAsync(ct);
        return done;
    }

    /// <summary>Migrations this code knows that the database has not applied yet.</summary>
    public async Task<IReadOnlyList<Migration>> PendingAsync(CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT to_regclass('ledger.schema_migrations') IS NOT NULL", connection);
        if (await exists.ExecuteScalarAsync(ct) is not true)
        {
            return _migrations;
        }

        var applied = await ReadAppliedAsync(connection, null, ct);
        return _migrations.Where(m => !applied.ContainsKey(m.Version)).ToList();
    }

    private static async Task<Dictionary<int, string>> ReadAppliedAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var applied = new Dictionary<int, string>();
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM ledger.schema_migrations", connection, tx);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            applied[reader.GetInt32(0)] = reader.GetString(1);
        }

        return applied;
    }

    private static async Task Exec(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static List<Migration> Discover(IEnumerable<Assembly> assemblies)
    {
        var found = new List<Migration>();
        foreach (var assembly in assemblies.Distinct())
        {
            foreach (var resource in assembly.GetManifestResourceNames())
            {
                var match = MigrationName().Match(resource);
                if (!match.Success)
                {
                    continue;
                }

                using var stream = assembly.GetManifestResourceStream(resource)!;
                using var reader = new StreamReader(stream);
                found.Add(new Migration(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups[2].Value, reader.ReadToEnd()));
            }
        }

        var duplicate = found.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two migrations share number {duplicate.Key}: {string.Join(", ", duplicate.Select(m => m.Name))}.");
        }

        return [.. found.OrderBy(m => m.Version)];
    }

    [GeneratedRegex(@"(?:^|[./])(\d{4})_([A-Za-z0-9_]+)\.sql$")]
    private static partial Regex MigrationName();
}
