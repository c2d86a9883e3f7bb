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
}
