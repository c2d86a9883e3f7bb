using Billing.Testing;

namespace Billing.Projections.Tests;

public sealed class RebuildTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task rebuilding_an_inline_projection_produces_exactly_the_live_tables_and_reports_progress()
    {
        var projection = new AccountBalancesProjection("rebuild_inline", tenantPrefix: "ri");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore(inline: [new InlineProjection(projection)]);
        for (var i = 0; i < 60; i++)
        {
            await store.DepositAsync($"ri{i % 2}", $"ri-{i % 7}", i, 1);
        }

        var balances = await db.RowsAsync("rm.rebuild_inline");
        var applied = await db.RowsAsync("rm.rebuild_inline_applied");
        var reports = new List<RebuildProgress>();
        var result = await new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(PageSize: 16, Progress: new SyncProgress(reports)));

        Assert.True(result.Swapped);
        Assert.True(result.Events >= 120);
        Assert.Equal(balances, await db.RowsAsync("rm.rebuild_inline"));
        Assert.Equal(applied, await db.RowsAsync("rm.rebuild_inline_applied"));
        Assert.True(reports.Count >= 8);
        Assert.Equal(100, reports[^1].Percent);
        Assert.Null(await db.ScalarAsync<string>("SELECT to_regclass('rm.rebuild_inline__shadow')::text"));

        // The swapped-in tables are the live ones now: inline appends keep landing in them.
        await store.DepositAsync("ri0", "ri-0", 1000);
        Assert.Contains(await db.RowsAsync("rm.rebuild_inline_applied"), r => r.Contains(",1000)", StringComparison.Ordinal));
        var again = await new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(VerifyOnly: true));
        Assert.True(again.Verify!.Identical);
    }

    [Fact]
    public async Task rebuilding_an_async_projection_swaps_at_the_live_checkpoint_while_the_daemon_runs()
    {
        var projection = new AccountBalancesProjection("rebuild_async", strict: true);
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Async));
        var store = db.CreateStore();
        await using var daemon = RunningDaemon.Start(store, catalog, "node-a");
        for (var i = 0; i < 40; i++)
        {
            await store.DepositAsync("t1", $"ra-{i % 5}", i);
        }

        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);
        var before = await db.RowsAsync("rm.rebuild_async");
        var result = await new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(PageSize: 9));
        await store.DepositAsync("t1", "ra-0", 500);
        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);

        Assert.True(result.Swapped);
        Assert.Equal(before.Count, (await db.RowsAsync("rm.rebuild_async")).Count);
        Assert.Equal(Enumerable.Range(0, 40).Where(i => i % 5 == 0).Sum() + 500L, await db.ScalarAsync<long>("SELECT balance FROM rm.rebuild_async WHERE account_id = 'ra-0'"));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT generation FROM ledger.projection_state WHERE name = 'rebuild_async'"));
        Assert.Empty(await new DeadLetterStore(store, catalog).ListAsync(projection.Name, includeResolved: true));
    }

    [Fact]
    public async Task verify_reports_a_difference_introduced_by_hand_without_swapping()
    {
        var projection = new AccountBalancesProjection("rebuild_verify", tenantPrefix: "rv");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore(inline: [new InlineProjection(projection)]);
        for (var i = 0; i < 10; i++)
        {
            await store.DepositAsync("rv", $"rv-{i % 3}", 10);
        }

        await db.ScalarAsync<int>("UPDATE rm.rebuild_verify SET balance = 999 WHERE account_id = 'rv-1'");
        var tampered = await db.RowsAsync("rm.rebuild_verify");
        var result = await new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(VerifyOnly: true));

        Assert.False(result.Swapped);
        var report = result.Verify!;
        Assert.False(report.Identical);
        var balances = report.Tables.Single(t => t.Table == "rebuild_verify");
        Assert.Equal(balances.LiveRows, balances.ShadowRows);
        Assert.NotEqual(balances.LiveChecksum, balances.ShadowChecksum);
        Assert.Equal("(rv,rv-1,999,3)", Assert.Single(balances.OnlyInLive));
        Assert.Equal("(rv,rv-1,30,3)", Assert.Single(balances.OnlyInShadow));
        Assert.True(report.Tables.Single(t => t.Table == "rebuild_verify_applied").Identical);
        Assert.Equal(tampered, await db.RowsAsync("rm.rebuild_verify"));
        Assert.Null(await db.ScalarAsync<string>("SELECT to_regclass('rm.rebuild_verify__shadow')::text"));
    }

    [Fact]
    public async Task rebuilding_an_inline_projection_while_appends_continue_loses_no_write()
    {
        var projection = new AccountBalancesProjection("rebuild_busy", tenantPrefix: "rb");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore(inline: [new InlineProjection(projection)]);
        for (var i = 0; i < 100; i++)
        {
            await store.DepositAsync("rb", $"rb-{i % 6}", 1);
        }

        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            var written = 0;
            while (!stop.IsCancellationRequested)
            {
                await store.DepositAsync("rb", $"rb-{(w + written) % 6}", 1);
                written++;
            }

            return written;
        })).ToList();
        await new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(PageSize: 7));
        await new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(PageSize: 13));
        await stop.CancelAsync();
        var total = 100 + (await Task.WhenAll(writers)).Sum();

        Assert.Equal(total, await db.ScalarAsync<long>("SELECT sum(balance)::bigint FROM rm.rebuild_busy"));
        Assert.Equal(total, await db.ScalarAsync<long>("SELECT count(*) FROM rm.rebuild_busy_applied"));
        Assert.True((await new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(VerifyOnly: true))).Verify!.Identical);
    }

    [Fact]
    public async Task a_rebuild_that_meets_a_failing_event_swaps_nothing()
    {
        var projection = new AccountBalancesProjection("rebuild_poison", tenantPrefix: "rp");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore(inline: [new InlineProjection(projection)]);
        await store.DepositAsync("rp", "rp-1", 5);
        await store.DepositAsync("rp", "rp-2", 6);
        var live = await db.RowsAsync("rm.rebuild_poison");

        projection.FailOnAccount = "rp-2";
        var error = await Assert.ThrowsAsync<ReplayFailedException>(() => new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name));

        Assert.Contains("refusing to project rp-2", error.Message, StringComparison.Ordinal);
        Assert.Equal(live, await db.RowsAsync("rm.rebuild_poison"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT generation FROM ledger.projection_state WHERE name = 'rebuild_poison'"));
        Assert.Null(await db.ScalarAsync<string>("SELECT rebuild_node FROM ledger.projection_state WHERE name = 'rebuild_poison'"));
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(List<RebuildProgress> reports) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) => reports.Add(value);
    }
}
