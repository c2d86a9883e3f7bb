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
            await File.WriteAllTextAsync(OwnerFile(dir), ProcessIdentity(Environment.ProcessId));
            _cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir, Persistent: false, Durable: false, MaxConnections: 400));
            // The test runner may kill this process before the handler finishes (deleting the
            // cluster takes a while); the cluster's watchdog then stops and deletes it
            // (EmbeddedPostgres.WatchOwner). The owner file goes first so none is left behind.
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                File.Delete(OwnerFile(dir));
                _cluster.StopOnExit();
            };
            _adminConnectionString = _cluster.ConnectionString();
            return _adminConnectionString;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Deletes clusters of earlier test runs that nobody uses any more, should their
    /// watchdog not have (the machine restarted, the watchdog was killed): those whose test
    /// process is gone (a running server is stopped first), and those without a server or a
    /// known owner once ten minutes old. Clusters of test processes still running are left
    /// alone, and so are empty socket directories younger than ten minutes (a server may be
    /// starting in one).</summary>
    public static void RemoveAbandonedClusters()
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

        foreach (var owner in Directory.GetFiles(Path.GetTempPath(), "billing-test-*.owner"))
        {
            // Written before its cluster starts: a young owner file may belong to a start in progress.
            if (!Directory.Exists(owner[..^".owner".Length]) && File.GetLastWriteTimeUtc(owner) < DateTime.UtcNow.AddMinutes(-10))
            {
                File.Delete(owner);
            }
        }

        foreach (var socket in Directory.GetDirectories(Path.GetTempPath(), "billing-pg-*"))
        {
            try
            {
                if (!Directory.EnumerateFileSystemEntries(socket).Any() && Directory.GetLastWriteTimeUtc(socket) < DateTime.UtcNow.AddMinutes(-10))
                {
                    Directory.Delete(socket);
                }
            }
            catch (IOException)
            {
                continue;
            }
        }
    }

    private static void RemoveIfAbandoned(string dir)
    {
        var pidFile = Path.Combine(dir, "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && Directory.Exists($"/proc/{pid}"))
        {
            if (!OwnerIsGone(dir))
            {
                return;
            }

            StopServer(dir);
        }
        else if (!OwnerIsGone(dir) && Directory.GetLastWriteTimeUtc(dir) >= DateTime.UtcNow.AddMinutes(-10))
        {
            // No server and no owner known to be gone: a cluster may be starting in it.
            return;
        }

        Directory.Delete(dir, recursive: true);
        File.Delete(OwnerFile(dir));
        var socket = EmbeddedPostgres.SocketDirectoryFor(dir);
        if (Directory.Exists(socket))
        {
            Directory.Delete(socket, recursive: true);
        }
    }

    /// <summary>Beside the data directory (which belongs to the server's user): the test process
    /// that started the cluster.</summary>
    public static string OwnerFile(string dir) => dir + ".owner";

    /// <summary>A process id with its start time (/proc/{pid}/stat field 22), so a reused pid is
    /// not taken for the owner.</summary>
    public static string ProcessIdentity(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return pid + " " + stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
    }

    /// <summary>True when the cluster records an owner and that process no longer exists. A
    /// cluster without an owner file (older runs) is never taken for abandoned while it runs.</summary>
    private static bool OwnerIsGone(string dir)
    {
        var owner = OwnerFile(dir);
        if (!File.Exists(owner) || File.ReadAllText(owner).Split(' ') is not [var pidText, _] || !int.TryParse(pidText, out var pid))
        {
            return false;
        }

        try
        {
            return ProcessIdentity(pid) != File.ReadAllText(owner);
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static void StopServer(string dir)
    {
        var pgCtl = Path.Combine(PostgresBinaries.FindBinDirectory() ?? throw new PostgresBinariesNotFoundException(), "pg_ctl");
        string[] args = ["-D", dir, "-m", "immediate", "-w", "-t", "30", "stop"];
        var start = Environment.UserName == "root" ? new System.Diagnostics.ProcessStartInfo("runuser", ["-u", "postgres", "--", pgCtl, .. args]) : new System.Diagnostics.ProcessStartInfo(pgCtl, args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = System.Diagnostics.Process.Start(start)!;
        process.WaitForExit();
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
