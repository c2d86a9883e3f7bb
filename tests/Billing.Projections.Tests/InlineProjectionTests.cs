using Billing.Ledger.EventStore;
using Billing.Testing;

namespace Billing.Projections.Tests;

public sealed class InlineProjectionTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task inline_projection_commits_with_the_append_and_is_idempotent_under_replay()
    {
        var projection = new AccountBalancesProjection("inline_balances");
        await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore(inline: [new InlineProjection(projection)]);
        var first = new[] { new NewEvent(Guid.NewGuid(), new Deposited(100)), new NewEvent(Guid.NewGuid(), new Deposited(50)) };
        var second = new[] { new NewEvent(Guid.NewGuid(), new Withdrawn(30)) };

        await store.AppendAsync("t1", "acc-1", "account", ExpectedVersion.NoStream, first);
        await store.AppendAsync("t1", "acc-1", "account", ExpectedVersion.Exact(2), second);
        var before = await db.RowsAsync("rm.inline_balances");

        // Idempotent retries of both appends: one on the one-round-trip path (known version),
        // one on the append-then-project path (any version). Both re-run the projection.
        var replayKnown = await store.AppendAsync("t1", "acc-1", "account", ExpectedVersion.NoStream, first);
        var replayAny = await store.AppendAsync("t1", "acc-1", "account", ExpectedVersion.Any, second);

        Assert.True(replayKnown.Duplicate);
        Assert.True(replayAny.Duplicate);
        Assert.Equal(before, await db.RowsAsync("rm.inline_balances"));
        Assert.Equal(120L, await db.ScalarAsync<long>("SELECT balance FROM rm.inline_balances WHERE tenant_id = 't1' AND account_id = 'acc-1'"));
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM rm.inline_balances_applied"));
    }

    [Fact]
    public async Task inline_projection_failure_rolls_back_the_append()
    {
        var projection = new AccountBalancesProjection("inline_poison");
        await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore(inline: [new InlineProjection(projection)]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.AppendAsync("t1", "acc-p", "account", ExpectedVersion.Any, [NewEvent.For(new Poison("bad"))]));

        Assert.Null(await store.GetStreamAsync("t1", "acc-p"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM rm.inline_poison"));
    }
}
