using Billing.Ledger.EventStore;
using Billing.Projections.StreamActivity;
using Billing.Testing;

namespace Billing.Projections.Tests;

/// <summary>Own database: <c>stream_activity</c> reads every event type.</summary>
public sealed class StreamActivityRebuildTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task a_folded_rebuild_of_stream_activity_equals_the_daemons_table_and_the_upsert_rebuild()
    {
        var catalog = await db.RegisterAsync(new ProjectionRegistration(new StreamActivityProjection(), ProjectionMode.Async));
        var store = db.CreateStore();
        await using (RunningDaemon.Start(store, catalog, "node-activity", pageSize: 6))
        {
            for (var i = 0; i < 25; i++)
            {
                await store.AppendAsync($"sa{i % 2}", $"sa-{i % 6}", "account", ExpectedVersion.Any,
                    [NewEvent.For(new Deposited(i)), NewEvent.For(i % 3 == 0 ? new Withdrawn(1) : new Deposited(1))]);
            }

            await Eventually.CaughtUpAsync(db, store, catalog, StreamActivityProjection.TableName);
        }

        var byDaemon = await db.RowsAsync("rm.stream_activity");
        var rebuilder = new ProjectionRebuilder(store, catalog);

        await rebuilder.RebuildAsync(StreamActivityProjection.TableName, new RebuildOptions(PageSize: 7));
        Assert.Equal(byDaemon, await db.RowsAsync("rm.stream_activity"));
        await rebuilder.RebuildAsync(StreamActivityProjection.TableName, new RebuildOptions(PageSize: 7, FoldRowLimit: 0));
        Assert.Equal(byDaemon, await db.RowsAsync("rm.stream_activity"));
        Assert.Equal(6, byDaemon.Count);
        Assert.Contains(byDaemon, r => r.StartsWith("(sa0,sa-0,10,10,ptest.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_batch_overlapping_what_is_stored_counts_only_the_versions_above_it()
    {
        await db.RegisterAsync(new ProjectionRegistration(new StreamActivityProjection(), ProjectionMode.Inline));
        var ids = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid()).ToArray();
        ProjectedEvent Event(string stream, long version) =>
            new(ids[version], "replay", stream, version, "ptest.deposited.v" + version, new Deposited(version), EventMetadata.Empty, null, null);

        async Task ApplyAsync(params ProjectedEvent[] events)
        {
            await using var connection = await db.DataSource.OpenConnectionAsync();
            await Engine.Projector.ExecuteAsync(connection, null, Engine.Projector.Commands(new StreamActivityProjection(), events, TableTarget.Live), default);
        }

        await ApplyAsync(Event("r-1", 1), Event("r-1", 2), Event("r-1", 3), Event("r-2", 1));
        await ApplyAsync(Event("r-1", 2), Event("r-1", 3), Event("r-1", 4), Event("r-1", 5), Event("r-2", 1));
        await ApplyAsync(Event("r-1", 1), Event("r-1", 2));

        Assert.Equal($"(replay,r-1,5,5,ptest.deposited.v5,{ids[5]})", await db.ScalarAsync<string>("SELECT t::text FROM rm.stream_activity t WHERE tenant_id = 'replay' AND stream_id = 'r-1'"));
        Assert.Equal($"(replay,r-2,1,1,ptest.deposited.v1,{ids[1]})", await db.ScalarAsync<string>("SELECT t::text FROM rm.stream_activity t WHERE tenant_id = 'replay' AND stream_id = 'r-2'"));
    }
}
