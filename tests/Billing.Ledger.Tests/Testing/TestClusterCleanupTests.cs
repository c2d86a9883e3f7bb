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
            await using var connection = new NpgsqlConnection(server.ConnectionString() + ";Timeout=3;Pooling=false");
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
    public async Task a_stopped_cluster_whose_test_process_is_gone_is_deleted_at_once()
    {
        var dir = Path.Combine(Path.GetTempPath(), "billing-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(dir, "base"));
        await File.WriteAllTextAsync(Path.Combine(dir, "base", "1"), "left by a killed run");
        await File.WriteAllTextAsync(TestCluster.OwnerFile(dir), await DeadProcessIdentityAsync());

        TestCluster.RemoveAbandonedClusters();

        Assert.False(Directory.Exists(dir));
        Assert.False(File.Exists(TestCluster.OwnerFile(dir)));
    }

    [Fact]
    public void a_young_cluster_directory_without_an_owner_is_left_alone()
    {
        // As a cluster being created by a run that predates owner files would look.
        var dir = Path.Combine(Path.GetTempPath(), "billing-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            TestCluster.RemoveAbandonedClusters();

            Assert.True(Directory.Exists(dir));
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public async Task a_throwaway_cluster_is_stopped_and_deleted_by_its_watchdog_once_its_owner_is_gone()
    {
        var (server, dir) = await StartAsync();
        using var owner = Process.Start(new ProcessStartInfo("sleep", ["600"]))!;
        server.WatchOwner(owner.Id);
        Assert.True(await AnswersAsync(server));

        owner.Kill();
        await owner.WaitForExitAsync();

        // The watchdog looks at its owner once a second; a minute is far more than it needs.
        var socket = EmbeddedPostgres.SocketDirectoryFor(dir);
        await Poll.UntilAsync(() => Task.FromResult(Directory.Exists(dir) || Directory.Exists(socket)), left => !left, TimeSpan.FromMinutes(1), "the watchdog to delete the cluster");

        Assert.False(Directory.Exists(dir));
        Assert.False(Directory.Exists(socket));
        Assert.False(await AnswersAsync(server));
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
