using Billing.Testing;

namespace Billing.Projections.Tests;

public sealed class DeadLetterTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task a_failing_event_is_dead_lettered_the_projection_continues_and_the_letter_is_retryable()
    {
        var projection = new AccountBalancesProjection("dl_continue", strict: true) { FailOnAccount = "dl-bad" };
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Async, PoisonEventPolicy.Continue));
        var store = db.CreateStore();
        var letters = new DeadLetterStore(store, catalog);
        await using var daemon = RunningDaemon.Start(store, catalog, "node-a");

        await store.DepositAsync("t1", "dl-ok", 1);
        var bad = await store.DepositAsync("t1", "dl-bad", 40);
        await store.DepositAsync("t1", "dl-ok", 2);
        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);

        var letter = Assert.Single(await letters.ListAsync(projection.Name));
        Assert.Equal(bad.FirstPosition, letter.Position);
        Assert.Equal("dl-bad", letter.StreamId);
        Assert.Equal(3, letter.Attempts);
        Assert.Contains("refusing to project", letter.Error, StringComparison.Ordinal);
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT balance FROM rm.dl_continue WHERE account_id = 'dl-ok'"));
        Assert.Equal(1L, (await new ProjectionStatusReader(store, catalog).ReadAsync(projection.Name)).OpenDeadLetters);

        var failedAgain = await letters.RetryAsync(letter.Id);
        Assert.Equal("failed", failedAgain.Outcome);
        projection.FailOnAccount = null;
        var retried = await letters.RetryAsync(letter.Id);

        Assert.Equal("resolved", retried.Outcome);
        Assert.Equal(40L, await db.ScalarAsync<long>("SELECT balance FROM rm.dl_continue WHERE account_id = 'dl-bad'"));
        Assert.Empty(await letters.ListAsync(projection.Name));
        await Assert.ThrowsAsync<DeadLetterNotFoundException>(() => letters.RetryAsync(letter.Id));
    }

    [Fact]
    public async Task a_pausing_projection_stops_at_the_failing_event_and_resumes_in_order_when_retried()
    {
        var projection = new AccountBalancesProjection("dl_pause", strict: true) { FailOnAccount = "p-bad" };
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Async, PoisonEventPolicy.Pause));
        var store = db.CreateStore();
        var letters = new DeadLetterStore(store, catalog);
        var reader = new ProjectionStatusReader(store, catalog);
        await using var daemon = RunningDaemon.Start(store, catalog, "node-a");

        await store.DepositAsync("t1", "p-ok", 1);
        await store.DepositAsync("t1", "p-bad", 40);
        await store.DepositAsync("t1", "p-ok", 2);
        await Eventually.UntilAsync(async () => (await reader.ReadAsync(projection.Name)).State == "paused", "the projection pauses");

        var status = await reader.ReadAsync(projection.Name);
        Assert.False(status.Healthy);
        Assert.Equal(2L, status.LagEvents);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT balance FROM rm.dl_pause WHERE account_id = 'p-ok'"));

        projection.FailOnAccount = null;
        var letter = Assert.Single(await letters.ListAsync(projection.Name));
        Assert.Equal("requeued", (await letters.RetryAsync(letter.Id)).Outcome);
        await Eventually.CaughtUpAsync(db, store, catalog, projection.Name);

        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT balance FROM rm.dl_pause WHERE account_id = 'p-ok'"));
        Assert.Equal(40L, await db.ScalarAsync<long>("SELECT balance FROM rm.dl_pause WHERE account_id = 'p-bad'"));
        Assert.Equal("resolved", Assert.Single(await letters.ListAsync(projection.Name, includeResolved: true)).Status);
    }
}
