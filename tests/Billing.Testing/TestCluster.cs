using Billing.Ledger.Postgres;
using Npgsql;

namespace Billing.Testing;

/// <summary>The PostgreSQL server for this test run: <c>BILLING_TEST_DB</c> when set, otherwise
/// one throwaway cluster started from the machine's binaries on first use and stopped (and
/// deleted) when the test process exits.</summary>
public static class TestCluster
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _adminConnectionString;
    private static EmbeddedPostgres? _cluster;

    public static async Task<string> AdminConnectionStringAsync()
    {
        if (_adminConnectionString is not null)
        {
            return _adminConnectionString;
        }

        await Gate.WaitAsync();
        try
        {
            if (_adminConnectionString is not null)
            {
                return _adminConnectionString;
            }

            var external = Environment.GetEnvironmentVariable("BILLING_TEST_DB");
            if (!string.IsNullOrWhiteSpace(external))
            {
                _adminConnectionString = external;
                return external;
            }

            RemoveAbandonedClusters();
            var dir = Path.Combine(Path.GetTempPath(), "billing-test-" + Guid.NewGuid().ToString("N")[..12]);
            _cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir, Persistent: false, Durable: false, MaxConnections: 400));
            AppDomain.CurrentDomain.ProcessExit += (_, _) => _cluster.StopOnExit();
            _adminConnectionString = _cluster.ConnectionString();
            return _adminConnectionString;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Deletes clusters of earlier test runs whose server is gone (a run killed before
    /// its exit handler ran). Clusters of test processes still running are left alone.</summary>
    private static void RemoveAbandonedClusters()
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "billing-test-*"))
        {
            try
            {
                RemoveIfAbandoned(dir);
            }
            catch (IOException)
            {
                // Best effort: test processes run in parallel and may remove the same directory
                // (or its pid file) first. Nothing here may fail a test run.
                continue;
            }
        }
    }

    private static void RemoveIfAbandoned(string dir)
    {
        var pidFile = Path.Combine(dir, "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && Directory.Exists($"/proc/{pid}"))
        {
            return;
        }

        if (Directory.GetLastWriteTimeUtc(dir) < DateTime.UtcNow.AddMinutes(-10))
        {
            Directory.Delete(dir, recursive: true);
            var socket = EmbeddedPostgres.SocketDirectoryFor(dir);
            if (Directory.Exists(socket))
            {
                Directory.Delete(socket, recursive: true);
            }
        }
    }

    /// <summary>Creates a fresh, empty database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var admin = await AdminConnectionStringAsync();
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 33)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }
}
