using System.Reflection;
using Billing.Ledger.Postgres;
using Npgsql;

namespace Billing.Benchmarks;

/// <summary>A fresh, migrated database for one benchmark run. Without <c>BILLING_TEST_DB</c> it
/// starts a throwaway cluster that is <em>durable</em> (fsync on): a benchmark that skipped the
/// commit flush would flatter every write path. Disposing drops what it created.</summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly EmbeddedPostgres? _cluster;
    private readonly string _adminConnectionString;
    private readonly string _name;

    private BenchDatabase(EmbeddedPostgres? cluster, string adminConnectionString, string name, NpgsqlDataSource dataSource)
    {
        _cluster = cluster;
        _adminConnectionString = adminConnectionString;
        _name = name;
        DataSource = dataSource;
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Counts this process's CPU and, for the embedded cluster, the server's.</summary>
    public CpuMeter Cpu => new(_cluster is null ? null : ServerPid(_cluster));

    /// <summary>Where the server came from, for the report header.</summary>
    public string Origin => _cluster is null ? "BILLING_TEST_DB" : $"embedded durable cluster on port {_cluster.Port}";

    /// <summary>Creates the database and applies the ledger's migrations plus those embedded in
    /// <paramref name="migrationAssemblies"/> (a benchmark's own project, e.g. projections).</summary>
    public static async Task<BenchDatabase> CreateAsync(string prefix, IEnumerable<Assembly>? migrationAssemblies = null, CancellationToken ct = default)
    {
        var external = Environment.GetEnvironmentVariable("BILLING_TEST_DB");
        EmbeddedPostgres? cluster = null;
        if (string.IsNullOrWhiteSpace(external))
        {
            var dir = Path.Combine(Path.GetTempPath(), "billing-bench-" + Guid.NewGuid().ToString("N")[..12]);
            cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir, Persistent: false, Durable: true), ct);
        }

        var admin = cluster?.ConnectionString() ?? external!;
        var name = $"bench_{prefix}_{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 20)].ToLowerInvariant();
        await ExecuteAsync(admin, $"CREATE DATABASE \"{name}\"", ct);
        var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString);
        var database = new BenchDatabase(cluster, admin, name, dataSource);
        await Migrator.ForLedger(dataSource, [.. migrationAssemblies ?? []]).ApplyAsync(ct);
        return database;
    }

    public async Task ExecuteAsync(string sql, CancellationToken ct = default)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Flushes dirty pages now so a checkpoint does not land in the middle of the next
    /// measurement. Returns false when the role may not checkpoint (an external server).</summary>
    public async Task<bool> CheckpointAsync(CancellationToken ct = default)
    {
        try
        {
            await ExecuteAsync("CHECKPOINT", ct);
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_cluster is not null)
        {
            await _cluster.StopAsync();
            return;
        }

        await ExecuteAsync(_adminConnectionString, $"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)", CancellationToken.None);
    }

    private static int ServerPid(EmbeddedPostgres cluster) =>
        int.Parse(File.ReadLines(Path.Combine(cluster.DataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
