using System.Diagnostics;
using Billing.Ledger.Postgres;
using Billing.Testing;
using Npgsql;

namespace Billing.Ledger.Tests.Testing;

/// <summary>The test run's cleanup of clusters left by earlier runs: a cluster whose test process
/// was killed outright is stopped and deleted; one whose owner still runs is left alone.</summary>
public sealed class TestClusterCleanupTests
{
    private static async Task<(EmbeddedPostgres Server, string Dir)> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "billing-test-" + Guid.NewGuid().ToString("N")[..12]);
        var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir, Persistent: false, Durable: false));
        return (server, dir);
    }

    /// <summary>The identity of a process that has exited: its pid with the start time it had.</summary>
    private static async Task<string> DeadProcessIdentityAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("sleep", ["0.2"]))!;
        var identity = TestCluster.ProcessIdentity(process.Id);
        await process.WaitForExitAsync();
        return identity;
    }

    private static async Task<bool> AnswersAsync(EmbeddedPostgres server)
    {
        try
        {
            await using var connection = new NpgsqlConnection(server.ConnectionString() + ";Timeout=3");
            await connection.OpenAsync();
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    [Fact]
    public async Task a_cluster_whose_test_process_is_gone_is_stopped_and_deleted()
    {
        var (server, dir) = await StartAsync();
        await File.WriteAllTextAsync(TestCluster.OwnerFile(dir), await DeadProcessIdentityAsync());

        TestCluster.RemoveAbandonedClusters();

        Assert.False(await AnswersAsync(server));
        Assert.False(Directory.Exists(dir));
        Assert.False(File.Exists(TestCluster.OwnerFile(dir)));
        Assert.False(Directory.Exists(EmbeddedPostgres.SocketDirectoryFor(dir)));
    }

    [Fact]
    public async Task a_cluster_whose_owner_still_runs_is_left_alone()
    {
        var (server, dir) = await StartAsync();
        await File.WriteAllTextAsync(TestCluster.OwnerFile(dir), TestCluster.ProcessIdentity(Environment.ProcessId));
        try
        {
            TestCluster.RemoveAbandonedClusters();

            Assert.True(await AnswersAsync(server));
            Assert.True(Directory.Exists(dir));
        }
        finally
        {
            await server.DisposeAsync();
            File.Delete(TestCluster.OwnerFile(dir));
        }
    }
}
