using Billing.Ledger.EventStore;
using Billing.Testing;

namespace Billing.Ledger.Tests.EventStore;

public sealed class AppendTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Billing.Ledger.EventStore.EventStore _store = db.CreateStore();

    private static string NewStream() => "thing-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task appending_no_stream_twice_conflicts()
    {
        var stream = NewStream();
        await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingHappened("a", 100, "EUR"))]);

        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            _store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingHappened("b", 100, "EUR"))]));

        Assert.Equal(1, error.ActualVersion);
        Assert.Single(await _store.ReadStreamAsync("acme", stream));
    }

    [Fact]
    public async Task twenty_parallel_any_appends_all_persist_with_versions_1_to_20()
    {
        var stream = NewStream();
        var appends = Enumerable.Range(0, 20).Select(i =>
            _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Any, [NewEvent.For(new ThingHappened($"n{i}", i, "EUR"))]));

        var results = await Task.WhenAll(appends);

        var events = await _store.ReadStreamAsync("acme", stream);
        Assert.Equal(Enumerable.Range(1, 20).Select(v => (long)v), events.Select(e => e.Version));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"n{i}").Order(), events.Select(e => ((ThingHappened)e.Data).Name).Order());
        Assert.Equal(Enumerable.Range(1, 20).Select(v => (long)v), results.Select(r => r.FirstVersion).Order());
        Assert.Equal(20, (await _store.GetStreamAsync("acme", stream))!.Version);
    }

    [Fact]
    public async Task stale_exact_version_is_rejected_and_appends_nothing()
    {
        var stream = NewStream();
        await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingHappened("a", 1, "EUR")), NewEvent.For(new ThingHappened("b", 2, "EUR"))]);

        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Exact(1), [NewEvent.For(new ThingHappened("stale", 3, "EUR"))]));

        Assert.Equal(2, error.ActualVersion);
        Assert.Equal(ExpectedVersion.Exact(1), error.Expected);
        var events = await _store.ReadStreamAsync("acme", stream);
        Assert.Equal(["a", "b"], events.Select(e => ((ThingHappened)e.Data).Name));
    }

    [Fact]
    public async Task exact_version_on_a_missing_stream_is_rejected()
    {
        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            _store.AppendAsync("acme", NewStream(), "thing", ExpectedVersion.Exact(3), [NewEvent.For(new ThingHappened("x", 1, "EUR"))]));
        Assert.Equal(0, error.ActualVersion);
    }

    [Fact]
    public async Task an_idempotent_retry_appends_nothing_and_returns_the_original_result()
    {
        var stream = NewStream();
        NewEvent[] events = [NewEvent.For(new ThingHappened("a", 1, "EUR")), NewEvent.For(new ThingHappened("b", 2, "EUR"))];
        var first = await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, events);

        var retry = await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, events);

        Assert.True(retry.Duplicate);
        Assert.False(first.Duplicate);
        Assert.Equal((first.FirstVersion, first.LastVersion, first.FirstPosition, first.LastPosition), (retry.FirstVersion, retry.LastVersion, retry.FirstPosition, retry.LastPosition));
        Assert.Equal(2, (await _store.ReadStreamAsync("acme", stream)).Count);
    }

    [Fact]
    public async Task concurrent_retries_of_one_append_store_it_once()
    {
        var stream = NewStream();
        NewEvent[] events = [NewEvent.For(new ThingHappened("once", 1, "EUR"))];

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Any, events)));

        Assert.Single(results, r => !r.Duplicate);
        Assert.Single(await _store.ReadStreamAsync("acme", stream));
    }

    [Fact]
    public async Task racing_single_event_stream_creations_let_exactly_one_win_and_retries_return_it()
    {
        var stream = NewStream();
        var retried = NewEvent.For(new ThingHappened("retried", 1, "EUR"));

        // Ten different first events and five copies of one, all at once, some in the store's own
        // transaction and some inside a caller's: one creates the stream, copies of the winner
        // are retries, everything else finds the stream taken.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 15).Select(async i =>
        {
            var e = i < 5 ? retried : NewEvent.For(new ThingHappened($"racer{i}", 1, "EUR"));
            try
            {
                if (i % 2 == 0)
                {
                    return (Index: i, Result: await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, [e]), Actual: -1L);
                }

                await using var connection = await db.DataSource.OpenConnectionAsync();
                await using var tx = await connection.BeginTransactionAsync();
                var results = await _store.BeginUnitOfWork().Append("acme", stream, "thing", ExpectedVersion.NoStream, e).CommitAsync(connection, tx);
                await tx.CommitAsync();
                return (Index: i, Result: results[0], Actual: -1L);
            }
            catch (WrongExpectedVersionException ex)
            {
                return (Index: i, Result: (AppendResult?)null, Actual: ex.ActualVersion);
            }
        }));

        var stored = Assert.Single(await _store.ReadStreamAsync("acme", stream));
        var winners = attempts.Where(a => a.Result is { Duplicate: false }).ToList();
        Assert.Single(winners);
        Assert.Equal(1, winners[0].Result!.FirstVersion);
        Assert.All(attempts.Where(a => a.Result is null), a => Assert.Equal(1, a.Actual));
        if (((ThingHappened)stored.Data).Name == "retried")
        {
            Assert.All(attempts.Where(a => a.Index < 5), a => Assert.Equal(stored.GlobalPosition, a.Result!.FirstPosition));
        }

        Assert.Equal(1, (await _store.GetStreamAsync("acme", stream))!.Version);
    }

    [Fact]
    public async Task a_new_stream_whose_first_event_id_belongs_to_another_stream_is_refused_and_not_created()
    {
        var taken = NewEvent.For(new ThingHappened("taken", 1, "EUR"));
        await _store.AppendAsync("acme", NewStream(), "thing", ExpectedVersion.NoStream, [taken]);
        var stream = NewStream();

        await Assert.ThrowsAsync<PartialDuplicateAppendException>(() =>
            _store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, [taken]));
        Assert.Null(await _store.GetStreamAsync("acme", stream));
    }

    [Fact]
    public async Task a_retry_with_only_some_of_the_event_ids_is_refused()
    {
        var stream = NewStream();
        var a = NewEvent.For(new ThingHappened("a", 1, "EUR"));
        await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, [a]);

        await Assert.ThrowsAsync<PartialDuplicateAppendException>(() =>
            _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Any, [a, NewEvent.For(new ThingHappened("b", 1, "EUR"))]));
        Assert.Single(await _store.ReadStreamAsync("acme", stream));
    }

    [Fact]
    public async Task a_unit_of_work_over_several_streams_commits_all_or_nothing()
    {
        var (s1, s2) = (NewStream(), NewStream());
        await _store.AppendAsync("acme", s2, "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingHappened("existing", 1, "EUR"))]);

        var uow = _store.BeginUnitOfWork()
            .Append("acme", s1, "thing", ExpectedVersion.NoStream, new ThingHappened("new", 1, "EUR"))
            .Append("acme", s2, "thing", ExpectedVersion.NoStream, new ThingHappened("conflicting", 1, "EUR"));
        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => uow.CommitAsync());

        Assert.Equal(s2, error.StreamId);
        Assert.Null(await _store.GetStreamAsync("acme", s1));
        Assert.Empty(await _store.ReadStreamAsync("acme", s1));
    }

    [Fact]
    public async Task metadata_is_stored_with_every_event()
    {
        var stream = NewStream();
        var metadata = new EventMetadata("corr-123", "cause-9", "user:ops", new Dictionary<string, string> { ["source"] = "test" });
        await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingHappened("a", 1, "EUR"))], metadata);

        var stored = Assert.Single(await _store.ReadStreamAsync("acme", stream));
        Assert.Equal("corr-123", stored.Metadata.CorrelationId);
        Assert.Equal("cause-9", stored.Metadata.CausationId);
        Assert.Equal("user:ops", stored.Metadata.Actor);
        Assert.Equal("test", stored.Metadata.Headers!["source"]);
        Assert.Equal("test.thing_happened.v1", stored.Type);
    }

    [Fact]
    public async Task an_append_with_metadata_of_its_own_keeps_it_next_to_appends_that_use_the_units()
    {
        var (mine, shared, exact) = (NewStream(), NewStream(), NewStream());
        await _store.AppendAsync("acme", exact, "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingHappened("x", 1, "EUR"))]);

        await _store.BeginUnitOfWork(new EventMetadata("corr-unit", null, "batch"))
            .Append("acme", mine, "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingHappened("a", 1, "EUR"))], new EventMetadata("corr-own", "cause-own", "user:own"))
            .Append("acme", shared, "thing", ExpectedVersion.NoStream, NewEvent.For(new ThingHappened("b", 1, "EUR")))
            .Append("acme", exact, "thing", ExpectedVersion.Exact(1), [NewEvent.For(new ThingHappened("c", 1, "EUR"))], new EventMetadata("corr-exact", null, "user:exact"))
            .CommitAsync();

        var own = Assert.Single(await _store.ReadStreamAsync("acme", mine)).Metadata;
        var unit = Assert.Single(await _store.ReadStreamAsync("acme", shared)).Metadata;
        var single = (await _store.ReadStreamAsync("acme", exact))[1].Metadata;
        Assert.Equal(("corr-own", "cause-own", "user:own"), (own.CorrelationId, own.CausationId, own.Actor));
        Assert.Equal(("corr-unit", null, "batch"), (unit.CorrelationId, unit.CausationId, unit.Actor));
        Assert.Equal(("corr-exact", "user:exact"), (single.CorrelationId, single.Actor));
    }

    [Fact]
    public async Task an_archived_stream_refuses_appends()
    {
        var stream = NewStream();
        await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingHappened("a", 1, "EUR"))]);
        Assert.True(await _store.ArchiveStreamAsync("acme", stream));

        await Assert.ThrowsAsync<StreamArchivedException>(() =>
            _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Any, [NewEvent.For(new ThingHappened("late", 1, "EUR"))]));
        Assert.Single(await _store.ReadStreamAsync("acme", stream));
    }
}
