using Billing.Ledger.EventStore;
using Billing.Testing;

namespace Billing.Projections.Tests;

public sealed class AsyncDaemonTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
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

        // The daemon reaches everything visible, which excludes the held transaction and all
        // that committed after it began; it must not have moved past the held event.
        await Eventually.CaughtUpWithVisibleAsync(db, store, catalog, projection.Name);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM rm.daemon_held_applied WHERE account_id = 'held-1'"));

        await held.CommitAsync();
        await Eventually.UntilAsync(async () => await db.ScalarAsync<long>("SELECT count(*) FROM rm.daemon_held_applied WHERE account_id = 'held-1'") == 1, "the held event applied");
        Assert.Equal(6L, await db.ScalarAsync<long>("SELECT count(*) FROM rm.daemon_held_applied WHERE account_id = 'held-1' OR account_id LIKE 'later-%'"));
        Assert.Equal(1000L, await db.ScalarAsync<long>("SELECT balance FROM rm.daemon_held WHERE account_id = 'held-1'"));
        Assert.Equal(5L, await db.ScalarAsync<long>("SELECT sum(balance)::bigint FROM rm.daemon_held WHERE account_id LIKE 'later-%'"));
        Assert.Empty(await new DeadLetterStore(store, catalog).ListAsync(projection.Name));
    }
}
