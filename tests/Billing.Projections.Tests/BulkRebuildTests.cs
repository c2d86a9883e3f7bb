using Billing.Testing;

namespace Billing.Projections.Tests;

/// <summary>Rebuilds of a projection that folds in memory and writes by binary COPY
/// (<see cref="IBulkRebuildProjection"/>): the same tables as page upserts and as the live paths.</summary>
public sealed class BulkRebuildTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task folding_yields_exactly_the_tables_of_page_upserts_and_of_the_inline_projection()
    {
        var projection = new DepositTotalsProjection("bulk_inline", "bi");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore(inline: [new InlineProjection(projection)]);
        for (var i = 0; i < 40; i++)
        {
            await store.DepositAsync($"bi{i % 3}", $"bi-{i % 7}", i, 2 * i);
        }

        var live = await db.RowsAsync("rm.bulk_inline");
        var rebuilder = new ProjectionRebuilder(store, catalog);

        var applied = projection.Applied;
        await rebuilder.RebuildAsync(projection.Name, new RebuildOptions(PageSize: 9));
        Assert.Equal((1, 1, applied), (projection.Folds, projection.Copies, projection.Applied));
        Assert.Equal(live, await db.RowsAsync("rm.bulk_inline"));

        await rebuilder.RebuildAsync(projection.Name, new RebuildOptions(PageSize: 9, FoldRowLimit: 0));
        Assert.Equal((1, 1), (projection.Folds, projection.Copies));
        Assert.Equal(applied + 80, projection.Applied);
        Assert.Equal(live, await db.RowsAsync("rm.bulk_inline"));

        // Past the limit the fold is copied after the first page and the rest is upserted on top.
        await rebuilder.RebuildAsync(projection.Name, new RebuildOptions(PageSize: 9, FoldRowLimit: 3));
        Assert.Equal((2, 2), (projection.Folds, projection.Copies));
        Assert.InRange(projection.Applied, applied + 81, applied + 80 + 80 - 1);
        Assert.Equal(live, await db.RowsAsync("rm.bulk_inline"));

        // The rebuilt tables keep taking inline appends, and a verify finds them identical.
        const string TotalSql = "SELECT total FROM rm.bulk_inline WHERE tenant_id = 'bi0' AND account_id = 'bi-0'";
        var before = await db.ScalarAsync<long>(TotalSql);
        await store.DepositAsync("bi0", "bi-0", 1000);
        Assert.Equal(before + 1000, await db.ScalarAsync<long>(TotalSql));
        Assert.True((await rebuilder.RebuildAsync(projection.Name, new RebuildOptions(VerifyOnly: true))).Verify!.Identical);
    }

    [Fact]
    public async Task a_folded_rebuild_of_an_async_projection_equals_what_the_daemon_wrote()
    {
        var projection = new DepositTotalsProjection("bulk_async", "ba");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Async));
        var store = db.CreateStore();
        await using var daemon = RunningDaemon.Start(store, catalog, "node-bulk", pageSize: 7);
        for (var i = 0; i < 30; i++)
        {
            await store.DepositAsync("ba", $"ba-{i % 4}", i);
        }

        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);
        var byDaemon = await db.RowsAsync("rm.bulk_async");
        var result = await new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(PageSize: 8));

        Assert.True(result.Swapped);
        Assert.Equal(1, projection.Copies);
        Assert.Equal(byDaemon, await db.RowsAsync("rm.bulk_async"));
        await store.DepositAsync("ba", "ba-1", 500);
        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 4 == 1).Sum() + 500L, await db.ScalarAsync<long>("SELECT total FROM rm.bulk_async WHERE account_id = 'ba-1'"));
    }

    [Fact]
    public async Task verify_of_a_folded_rebuild_reports_a_difference_made_by_hand()
    {
        var projection = new DepositTotalsProjection("bulk_verify", "bv");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore(inline: [new InlineProjection(projection)]);
        for (var i = 0; i < 6; i++)
        {
            await store.DepositAsync("bv", $"bv-{i % 2}", 5);
        }

        await db.ScalarAsync<int>("UPDATE rm.bulk_verify SET total = 1 WHERE account_id = 'bv-1'");
        var result = await new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(VerifyOnly: true));

        var table = Assert.Single(result.Verify!.Tables);
        Assert.Equal(1, projection.Copies);
        Assert.Equal("(bv,bv-1,3,1,3)", Assert.Single(table.OnlyInLive));
        Assert.Equal("(bv,bv-1,3,15,3)", Assert.Single(table.OnlyInShadow));
    }

    [Fact]
    public async Task a_rebuild_cancelled_mid_way_leaves_the_live_table_untouched_and_a_later_one_completes()
    {
        var projection = new DepositTotalsProjection("bulk_cancel", "bc");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore(inline: [new InlineProjection(projection)]);
        for (var i = 0; i < 30; i++)
        {
            await store.DepositAsync("bc", $"bc-{i % 5}", i);
        }

        await db.ScalarAsync<int>("UPDATE rm.bulk_cancel SET total = -1 WHERE account_id = 'bc-2'");
        var live = await db.RowsAsync("rm.bulk_cancel");
        using var cancel = new CancellationTokenSource();
        var pages = 0;
        var progress = new InlineProgress(_ =>
        {
            if (++pages == 2)
            {
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(PageSize: 4, Progress: progress), cancel.Token));

        Assert.Equal(0, projection.Copies);
        Assert.Equal(live, await db.RowsAsync("rm.bulk_cancel"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT generation FROM ledger.projection_state WHERE name = 'bulk_cancel'"));
        Assert.Null(await db.ScalarAsync<string>("SELECT rebuild_node FROM ledger.projection_state WHERE name = 'bulk_cancel'"));

        await new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(PageSize: 4));
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 5 == 2).Sum(), await db.ScalarAsync<long>("SELECT total FROM rm.bulk_cancel WHERE account_id = 'bc-2'"));
    }

    [Fact]
    public async Task a_failing_event_in_the_fold_swaps_nothing()
    {
        var projection = new DepositTotalsProjection("bulk_poison", "bp");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Async));
        var store = db.CreateStore();
        await store.DepositAsync("bp", "bp-1", 5, 6);
        await store.AppendAsync("bp", "bp-1", "account", Billing.Ledger.EventStore.ExpectedVersion.Any, [Billing.Ledger.EventStore.NewEvent.For(new Poison("fold refuses"))]);
        await db.ScalarAsync<int>("UPDATE ledger.projection_state SET checkpoint_position = (SELECT max(global_position) FROM ledger.events) WHERE name = 'bulk_poison'");
        await db.ScalarAsync<int>("INSERT INTO rm.bulk_poison VALUES ('bp', 'bp-1', 1, 42, 1)");
        var live = await db.RowsAsync("rm.bulk_poison");

        var error = await Assert.ThrowsAsync<ReplayFailedException>(() => new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name));

        Assert.Contains("fold refuses", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, projection.Copies);
        Assert.Equal(live, await db.RowsAsync("rm.bulk_poison"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT generation FROM ledger.projection_state WHERE name = 'bulk_poison'"));
    }

    [Fact]
    public async Task as_of_with_a_fold_equals_the_live_model_as_it_was_then()
    {
        var projection = new DepositTotalsProjection("bulk_asof", "bo");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore(inline: [new InlineProjection(projection)]);
        Billing.Ledger.EventStore.AppendResult last = null!;
        for (var i = 0; i < 10; i++)
        {
            last = await store.DepositAsync("bo", $"bo-{i % 3}", i + 1);
        }

        var then = await db.RowsAsync("rm.bulk_asof");
        await store.DepositAsync("bo", "bo-0", 100);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await new AsOfBuilder(store, catalog).BuildAsync(connection, projection.Name, new AsOfOptions(Position: last.LastPosition, PageSize: 4));

        Assert.Equal(1, projection.Copies);
        Assert.Equal(then, await AsOfTests.TempRowsAsync(connection, "bulk_asof"));
    }

    private sealed class InlineProgress(Action<RebuildProgress> report) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) => report(value);
    }
}
