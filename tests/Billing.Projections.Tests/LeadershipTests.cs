using Billing.Testing;

namespace Billing.Projections.Tests;

public sealed class LeadershipTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private const string LeasePidSql = """
        SELECT pid FROM pg_locks
         WHERE locktype = 'advisory' AND granted AND classid = 2833 AND objid = hashtext($1)::oid AND objsubid = 2
        """;

    [Fact]
    public async Task two_daemons_on_one_projection_never_both_apply_a_page_even_when_the_leader_loses_its_lease()
    {
        // strict: a second application of any event violates the applied table's key and
        // would surface as a dead letter, so "exactly once" is checked by the database.
        var projection = new AccountBalancesProjection("lead_two", strict: true);
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Async));
        var store = db.CreateStore();
        await using var a = RunningDaemon.Start(store, catalog, "node-a", pageSize: 7);
        await using var b = RunningDaemon.Start(store, catalog, "node-b", pageSize: 7);

        var writers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await store.DepositAsync("t1", $"lead-{(w + i) % 4}", 1);
            }
        })).ToList();
        await Eventually.UntilAsync(async () => await db.ScalarAsync<long>("SELECT count(*) FROM rm.lead_two_applied") > 20, "some pages applied");
        var leader = await db.ScalarAsync<int>(LeasePidSql, projection.Name);
        await db.ScalarAsync<bool>("SELECT pg_terminate_backend($1)", leader);
        await Task.WhenAll(writers);

        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);
        Assert.Equal(150L, await db.ScalarAsync<long>("SELECT count(*) FROM rm.lead_two_applied WHERE account_id LIKE 'lead-%'"));
        Assert.Equal(150L, await db.ScalarAsync<long>("SELECT sum(balance)::bigint FROM rm.lead_two WHERE account_id LIKE 'lead-%'"));
        Assert.Empty(await new DeadLetterStore(store, catalog).ListAsync(projection.Name, includeResolved: true));
        await Eventually.UntilAsync(async () => (await new ProjectionStatusReader(store, catalog).ReadAsync(projection.Name)).Owner is "node-a" or "node-b", "a node owns the projection again");
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 2833 AND objid = hashtext($1)::oid", projection.Name));
    }

    [Fact]
    public async Task when_the_leading_process_dies_another_node_takes_over_within_seconds()
    {
        var projection = new AccountBalancesProjection("lead_failover", strict: true);
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Async));
        var store = db.CreateStore();
        var a = RunningDaemon.Start(store, catalog, "node-a");
        var reader = new ProjectionStatusReader(store, catalog);
        await Eventually.UntilAsync(async () => (await reader.ReadAsync(projection.Name)).Owner == "node-a", "node-a leads");
        await using var b = RunningDaemon.Start(store, catalog, "node-b");

        // The process dies: its connections drop (the lease with them) and its loops stop.
        await db.ScalarAsync<bool>("SELECT pg_terminate_backend($1)", await db.ScalarAsync<int>(LeasePidSql, projection.Name));
        await a.DisposeAsync();
        await store.DepositAsync("t1", "failover-1", 7);

        await Eventually.UntilAsync(async () => (await reader.ReadAsync(projection.Name)).Owner == "node-b", "node-b takes over", seconds: 5);
        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);
        Assert.Equal(7L, await db.ScalarAsync<long>("SELECT balance FROM rm.lead_failover WHERE account_id = 'failover-1'"));
    }

    [Fact]
    public async Task killing_a_daemon_mid_page_resumes_without_loss_or_duplication()
    {
        var projection = new AccountBalancesProjection("kill_mid_page", strict: true);
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Async));
        var store = db.CreateStore();
        for (var i = 0; i < 20; i++)
        {
            await store.DepositAsync("t1", $"kill-{i % 3}", 1);
        }

        // Hold the read-model table so the daemon's page transaction blocks half-way through.
        await using var blocker = await db.DataSource.OpenConnectionAsync();
        await using var lockTx = await blocker.BeginTransactionAsync();
        await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE rm.kill_mid_page_applied IN EXCLUSIVE MODE", blocker, lockTx))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        var a = RunningDaemon.Start(store, catalog, "node-a", pageSize: 8);
        const string waitingSql = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%kill_mid_page%'";
        await Eventually.UntilAsync(async () => await db.ScalarAsync<long>(waitingSql) > 0, "the daemon is blocked mid-page");
        await db.ScalarAsync<long>("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%kill_mid_page%'");
        await db.ScalarAsync<bool>("SELECT pg_terminate_backend($1)", await db.ScalarAsync<int>(LeasePidSql, projection.Name));
        await a.DisposeAsync();
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT checkpoint_position FROM ledger.projection_state WHERE name = 'kill_mid_page'"));
        await lockTx.RollbackAsync();

        await using var b = RunningDaemon.Start(store, catalog, "node-b", pageSize: 8);
        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);
        Assert.Equal(20L, await db.ScalarAsync<long>("SELECT count(*) FROM rm.kill_mid_page_applied WHERE account_id LIKE 'kill-%'"));
        Assert.Equal(20L, await db.ScalarAsync<long>("SELECT sum(balance)::bigint FROM rm.kill_mid_page WHERE account_id LIKE 'kill-%'"));
        Assert.Empty(await new DeadLetterStore(store, catalog).ListAsync(projection.Name, includeResolved: true));
    }
}
