using Billing.Ledger.EventStore;
using Billing.Testing;

namespace Billing.Ledger.Tests.EventStore;

/// <summary>Exact(n &gt; 0) appends take the single-UPDATE fast path of migration 0060; every way
/// out of it (retry, archive, stale version, races) must behave exactly like the checked path.</summary>
/// <remarks>Runs alone: its racing transactions hold the cluster-wide snapshot xmin back, and the
/// log-reader tests expect an event to be readable as soon as its own transaction commits.</remarks>
[Collection(nameof(ExactAppendTests))]
public sealed class ExactAppendTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Billing.Ledger.EventStore.EventStore _store = db.CreateStore();

    private static string NewStream() => "exact-" + Guid.NewGuid().ToString("N")[..8];

    private static NewEvent Thing(string name) => NewEvent.For(new ThingHappened(name, 1, "EUR"));

    private async Task<string> StreamAtVersionTwo()
    {
        var stream = NewStream();
        await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, [Thing("a"), Thing("b")]);
        return stream;
    }

    [Fact]
    public async Task exact_appends_advance_the_version_and_positions()
    {
        var stream = await StreamAtVersionTwo();

        var single = await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Exact(2), [Thing("c")]);
        var several = await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Exact(3), [Thing("d"), Thing("e")]);

        Assert.Equal((3L, 3L, false), (single.FirstVersion, single.LastVersion, single.Duplicate));
        Assert.Equal((4L, 5L), (several.FirstVersion, several.LastVersion));
        Assert.True(several.FirstPosition > single.LastPosition && several.LastPosition > several.FirstPosition);
        var events = await _store.ReadStreamAsync("acme", stream);
        Assert.Equal(["a", "b", "c", "d", "e"], events.Select(e => ((ThingHappened)e.Data).Name));
        Assert.Equal(events.Single(e => e.Version == 3).GlobalPosition, single.FirstPosition);
        Assert.Equal(5, (await _store.GetStreamAsync("acme", stream))!.Version);
    }

    [Fact]
    public async Task a_single_exact_append_stores_its_metadata_headers_and_data()
    {
        var stream = await StreamAtVersionTwo();
        var metadata = new EventMetadata("corr-7", "cause-7", "user:ops", new Dictionary<string, string> { ["source"] = "webhook", ["shared"] = "uow" });
        var e = new NewEvent(Guid.CreateVersion7(), new ThingHappened("c", 4200, "EUR"), new Dictionary<string, string> { ["shared"] = "event" });

        await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Exact(2), [e], metadata);

        var stored = (await _store.ReadStreamAsync("acme", stream)).Single(x => x.Version == 3);
        Assert.Equal(e.EventId, stored.EventId);
        Assert.Equal(new ThingHappened("c", 4200, "EUR"), stored.Data);
        Assert.Equal(("corr-7", "cause-7", "user:ops"), (stored.Metadata.CorrelationId, stored.Metadata.CausationId, stored.Metadata.Actor));
        Assert.Equal("webhook", stored.Metadata.Headers!["source"]);
        Assert.Equal("event", stored.Metadata.Headers!["shared"]);
    }

    [Fact]
    public async Task a_retry_of_an_exact_append_returns_the_original_result()
    {
        var stream = await StreamAtVersionTwo();
        NewEvent[] events = [Thing("c"), Thing("d")];
        var first = await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Exact(2), events);

        var retry = await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Exact(2), events);

        Assert.True(retry.Duplicate);
        Assert.Equal((first.FirstVersion, first.LastVersion, first.FirstPosition, first.LastPosition), (retry.FirstVersion, retry.LastVersion, retry.FirstPosition, retry.LastPosition));
        Assert.Equal(4, (await _store.ReadStreamAsync("acme", stream)).Count);
    }

    [Fact]
    public async Task concurrent_retries_of_one_exact_append_store_it_once()
    {
        var stream = await StreamAtVersionTwo();
        NewEvent[] events = [Thing("once")];

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Exact(2), events)));

        Assert.Single(results, r => !r.Duplicate);
        Assert.All(results, r => Assert.Equal(3, r.FirstVersion));
        Assert.Equal(3, (await _store.ReadStreamAsync("acme", stream)).Count);
    }

    [Fact]
    public async Task racing_exact_appends_at_one_version_let_exactly_one_win()
    {
        var stream = await StreamAtVersionTwo();

        var attempts = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            try
            {
                await _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Exact(2), [Thing($"racer{i}")]);
                return (Won: true, Actual: 0L);
            }
            catch (WrongExpectedVersionException e)
            {
                return (Won: false, Actual: e.ActualVersion);
            }
        }));

        Assert.Single(attempts, a => a.Won);
        Assert.All(attempts.Where(a => !a.Won), a => Assert.Equal(3, a.Actual));
        Assert.Equal(3, (await _store.ReadStreamAsync("acme", stream)).Count);
    }

    [Fact]
    public async Task an_archived_stream_refuses_an_exact_append_at_its_version()
    {
        var stream = await StreamAtVersionTwo();
        Assert.True(await _store.ArchiveStreamAsync("acme", stream));

        await Assert.ThrowsAsync<StreamArchivedException>(() =>
            _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Exact(2), [Thing("late")]));
        Assert.Equal(2, (await _store.ReadStreamAsync("acme", stream)).Count);
    }

    [Fact]
    public async Task an_exact_append_reusing_an_event_id_of_another_stream_is_refused()
    {
        var stream = await StreamAtVersionTwo();
        var other = NewStream();
        var reused = Thing("x");
        await _store.AppendAsync("acme", other, "thing", ExpectedVersion.NoStream, [reused]);

        await Assert.ThrowsAsync<PartialDuplicateAppendException>(() =>
            _store.AppendAsync("acme", stream, "thing", ExpectedVersion.Exact(2), [reused]));
        Assert.Equal(2, (await _store.GetStreamAsync("acme", stream))!.Version);
    }

    [Fact]
    public async Task a_unit_of_work_with_one_stale_exact_append_writes_nothing()
    {
        var (s1, s2) = (await StreamAtVersionTwo(), await StreamAtVersionTwo());

        var uow = _store.BeginUnitOfWork()
            .Append("acme", s1, "thing", ExpectedVersion.Exact(2), Thing("fine"))
            .Append("acme", s2, "thing", ExpectedVersion.Exact(1), Thing("stale"));
        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => uow.CommitAsync());

        Assert.Equal((s2, 2L), (error.StreamId, error.ActualVersion));
        Assert.Equal(2, (await _store.GetStreamAsync("acme", s1))!.Version);
        Assert.Equal(2, (await _store.ReadStreamAsync("acme", s1)).Count);
    }
}

[CollectionDefinition(nameof(ExactAppendTests), DisableParallelization = true)]
public sealed class ExactAppendTestsCollection;
