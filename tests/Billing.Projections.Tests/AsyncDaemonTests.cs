using Billing.Ledger.EventStore;
using Billing.Testing;

namespace Billing.Projections.Tests;

public sealed class AsyncDaemonTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private const string DaemonLookedSql = """
        SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'SELECT NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = ''virtualxid''%' AND query_start > $1
        """;

    [Fact]
    public async Task events_of_one_stream_are_applied_in_version_order_even_when_their_transaction_ids_are_not()
    {
        var projection = new AccountBalancesProjection("daemon_order", strict: true, tenantPrefix: "ord");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Async));
        var store = db.CreateStore();

        // The first transaction takes its id before the second, but appends after it.
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var early = await connection.BeginTransactionAsync();
        await using (var takeId = new Npgsql.NpgsqlCommand("SELECT pg_current_xact_id()", connection, early))
        {
            await takeId.ExecuteScalarAsync();
        }

        await store.DepositAsync("ord", "ord-1", 10);
        await store.BeginUnitOfWork().Append("ord", "ord-1", "account", ExpectedVersion.Exact(1), new Deposited(5)).CommitAsync(connection, early);
        await early.CommitAsync();
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM ledger.events a JOIN ledger.events b ON a.stream_id = b.stream_id AND a.version < b.version AND a.tx_id > b.tx_id WHERE a.stream_id = 'ord-1'"));

        await using var daemon = RunningDaemon.Start(store, catalog, "node-a");
        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);

        Assert.Equal("(ord,ord-1,15,2)", Assert.Single(await db.RowsAsync("rm.daemon_order")));
    }

    [Fact]
    public async Task async_daemon_applies_appends_and_reports_its_ownership_and_no_lag()
    {
        var projection = new AccountBalancesProjection("daemon_basic", strict: true);
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Async));
        var store = db.CreateStore();
        await using var daemon = RunningDaemon.Start(store, catalog, "node-a");

        await store.DepositAsync("t1", "basic-1", 10, 20);
        await store.DepositAsync("t2", "basic-2", 5);
        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);

        var status = await new ProjectionStatusReader(store, catalog).ReadAsync(projection.Name);
        Assert.Equal("node-a", status.Owner);
        Assert.Equal("running", status.State);
        Assert.True(status.Healthy);
        Assert.Equal(30L, await db.ScalarAsync<long>("SELECT balance FROM rm.daemon_basic WHERE account_id = 'basic-1'"));
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM rm.daemon_basic_applied"));
    }

    [Fact]
    public async Task async_daemon_delivers_an_event_whose_transaction_was_held_open_while_later_ones_committed()
    {
        var projection = new AccountBalancesProjection("daemon_held", strict: true);
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Async));
        var store = db.CreateStore();
        await using var daemon = RunningDaemon.Start(store, catalog, "node-a");

        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var held = await connection.BeginTransactionAsync();
        await store.BeginUnitOfWork().Append("t1", "held-1", "account", ExpectedVersion.Any, new Deposited(1000)).CommitAsync(connection, held);
        for (var i = 0; i < 5; i++)
        {
            await store.DepositAsync("t1", $"later-{i}", 1);
        }

        // Once the daemon has looked at the log after those commits, it must not have moved
        // past the held event: it waits for the held transaction to settle.
        var committed = await db.ScalarAsync<DateTime>("SELECT clock_timestamp()");
        await Eventually.UntilAsync(async () => await db.ScalarAsync<long>(DaemonLookedSql, committed) > 0, "the daemon looked at the log");
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM rm.daemon_held_applied WHERE account_id = 'held-1' OR account_id LIKE 'later-%'"));

        await held.CommitAsync();
        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);
        Assert.Equal(6L, await db.ScalarAsync<long>("SELECT count(*) FROM rm.daemon_held_applied WHERE account_id = 'held-1' OR account_id LIKE 'later-%'"));
        Assert.Equal(1000L, await db.ScalarAsync<long>("SELECT balance FROM rm.daemon_held WHERE account_id = 'held-1'"));
        Assert.Equal(5L, await db.ScalarAsync<long>("SELECT sum(balance)::bigint FROM rm.daemon_held WHERE account_id LIKE 'later-%'"));
        Assert.Empty(await new DeadLetterStore(store, catalog).ListAsync(projection.Name));
    }
}
