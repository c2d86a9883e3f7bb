using Billing.Ledger.EventStore;
using Billing.Testing;

namespace Billing.Projections.Tests;

/// <summary>Own database: it stores events no projection can deserialise.</summary>
public sealed class ReplayFailureTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task an_event_that_fails_to_deserialise_in_a_parallel_page_fails_the_rebuild_and_swaps_nothing()
    {
        var projection = new RecordingProjection("replay_failure");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore();
        for (var append = 0; append < 50; append++)
        {
            await store.AppendAsync("rf", "rf-1", "counter", ExpectedVersion.Any, Enumerable.Range(1, 100).Select(i => NewEvent.For(new Counted("rf-1", (append * 100) + i))));
        }

        // Two broken rows, in different deserialisation chunks of the same page.
        await db.ScalarAsync<int>("""
            UPDATE ledger.events SET data = '{"stream": "rf-1", "seq": "not a number"}'
             WHERE type = 'ptest.counted.v1' AND version IN (100, 4000)
            """);
        await db.ScalarAsync<int>("INSERT INTO rm.replay_failure VALUES (7)");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => new ProjectionRebuilder(store, catalog).RebuildAsync(projection.Name, new RebuildOptions(PageSize: 5_000)));

        Assert.IsType<System.Text.Json.JsonException>(error);
        Assert.Empty(projection.Pages);
        Assert.Equal(["(7)"], await db.RowsAsync("rm.replay_failure"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT generation FROM ledger.projection_state WHERE name = 'replay_failure'"));
        Assert.Null(await db.ScalarAsync<string>("SELECT rebuild_node FROM ledger.projection_state WHERE name = 'replay_failure'"));
    }
}
