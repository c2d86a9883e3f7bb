using Billing.Ledger.EventStore;
using Billing.Testing;
using Npgsql;

namespace Billing.Ledger.Tests.EventStore;

/// <summary>Single-event NoStream and Exact appends of one unit of work go as one grouped
/// statement (migration 0085); every result and error must match the per-append path.</summary>
/// <remarks>Runs alone, like <see cref="ExactAppendTests"/>: its racing transactions hold the
/// cluster-wide snapshot xmin back.</remarks>
[Collection(nameof(GroupedAppendTests))]
public sealed class GroupedAppendTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Billing.Ledger.EventStore.EventStore _store = db.CreateStore();

    private static string[] NewStreams(int count) => Enumerable.Range(0, count).Select(_ => "grouped-" + Guid.NewGuid().ToString("N")[..8]).ToArray();

    private static NewEvent Thing(string name) => NewEvent.For(new ThingHappened(name, 1, "EUR"));

    private UnitOfWork Group(IEnumerable<string> streams, ExpectedVersion expected, IReadOnlyList<NewEvent>? events = null) =>
        streams.Select((s, i) => (s, i)).Aggregate(_store.BeginUnitOfWork(), (uow, x) =>
            uow.Append("acme", x.s, "thing", expected, [events?[x.i] ?? Thing(x.s)]));

    private async Task<string[]> StreamsAtVersionOne(int count)
    {
        var streams = NewStreams(count);
        await Group(streams, ExpectedVersion.NoStream).CommitAsync();
        return streams;
    }

    [Fact]
    public async Task a_group_of_new_streams_commits_every_event_with_its_own_metadata_in_one_statement()
    {
        var streams = NewStreams(3);
        var before = _store.GroupedAppendStatements;

        var results = await _store.BeginUnitOfWork(new EventMetadata("corr-unit", null, "batch"))
            .Append("acme", streams[0], "thing", ExpectedVersion.NoStream, [Thing("a")], new EventMetadata("corr-a", "cause-a", "user:a"))
            .Append("acme", streams[1], "thing", ExpectedVersion.NoStream, Thing("b"))
            .Append("acme", streams[2], "thing", ExpectedVersion.NoStream, [Thing("c")], new EventMetadata("corr-c", "cause-c", null, new Dictionary<string, string> { ["source"] = "webhook" }))
            .CommitAsync();

        Assert.Equal(1, _store.GroupedAppendStatements - before);
        Assert.Equal(streams, results.Select(r => r.StreamId));
        Assert.All(results, r => Assert.Equal((1L, 1L, false), (r.FirstVersion, r.LastVersion, r.Duplicate)));
        Assert.True(results[0].FirstPosition < results[1].FirstPosition && results[1].FirstPosition < results[2].FirstPosition);
        var stored = new List<RecordedEvent>();
        foreach (var stream in streams)
        {
            stored.Add(Assert.Single(await _store.ReadStreamAsync("acme", stream)));
            Assert.Equal(1, (await _store.GetStreamAsync("acme", stream))!.Version);
        }

        Assert.Equal(results.Select(r => r.FirstPosition), stored.Select(e => e.GlobalPosition));
        Assert.Equal(["a", "b", "c"], stored.Select(e => ((ThingHappened)e.Data).Name));
        Assert.Equal(("corr-a", "cause-a", "user:a"), (stored[0].Metadata.CorrelationId, stored[0].Metadata.CausationId, stored[0].Metadata.Actor));
        Assert.Equal(("corr-unit", null, "batch"), (stored[1].Metadata.CorrelationId, stored[1].Metadata.CausationId, stored[1].Metadata.Actor));
        Assert.Equal(("corr-c", "cause-c", "webhook"), (stored[2].Metadata.CorrelationId, stored[2].Metadata.CausationId, stored[2].Metadata.Headers!["source"]));
    }

    [Fact]
    public async Task a_retried_group_returns_the_original_results_and_writes_only_what_is_new()
    {
        var streams = NewStreams(3);
        NewEvent[] events = [Thing("a"), Thing("b"), Thing("c")];
        var first = await Group(streams[..2], ExpectedVersion.NoStream, events).CommitAsync();

        var retry = await Group(streams, ExpectedVersion.NoStream, events).CommitAsync();

        Assert.Equal([true, true, false], retry.Select(r => r.Duplicate));
        Assert.Equal(first.Select(r => (r.FirstVersion, r.FirstPosition)), retry.Take(2).Select(r => (r.FirstVersion, r.FirstPosition)));
        Assert.Equal(1, retry[2].FirstVersion);
        foreach (var stream in streams)
        {
            Assert.Single(await _store.ReadStreamAsync("acme", stream));
        }
    }

    [Fact]
    public async Task a_retried_group_is_answered_from_the_stored_events_without_waiting_for_their_streams()
    {
        // Migration 0104: a member whose event is already stored on its stream is answered
        // set-wise from that row. The per-member fallback locked the stream row first, so with
        // the stream held by another transaction the retry would wait for it.
        var streams = NewStreams(3);
        NewEvent[] events = [Thing("a"), Thing("b"), Thing("c")];
        var first = await Group(streams, ExpectedVersion.NoStream, events).CommitAsync();
        await _store.BeginUnitOfWork().Append("acme", streams[0], "thing", ExpectedVersion.Exact(1), Thing("later")).CommitAsync();
        await using var holder = await db.DataSource.OpenConnectionAsync();
        await using var holding = await holder.BeginTransactionAsync();
        await using (var lockStream = new NpgsqlCommand("SELECT 1 FROM ledger.streams WHERE tenant_id = 'acme' AND stream_id = $1 FOR UPDATE", holder, holding))
        {
            lockStream.Parameters.Add(new NpgsqlParameter { Value = streams[0] });
            await lockStream.ExecuteScalarAsync();
        }

        var retry = await Group(streams, ExpectedVersion.NoStream, events).CommitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(retry, r => Assert.True(r.Duplicate));
        Assert.Equal(first.Select(r => (r.FirstVersion, r.LastVersion, r.FirstPosition, r.LastPosition)), retry.Select(r => (r.FirstVersion, r.LastVersion, r.FirstPosition, r.LastPosition)));
        Assert.Equal(2, (await _store.ReadStreamAsync("acme", streams[0])).Count);
    }

    [Fact]
    public async Task one_existing_stream_fails_the_group_naming_it_and_nothing_is_written()
    {
        var streams = NewStreams(3);
        await _store.AppendAsync("acme", streams[1], "thing", ExpectedVersion.NoStream, [Thing("existing")]);

        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Group(streams, ExpectedVersion.NoStream).CommitAsync());

        Assert.Equal((streams[1], ExpectedVersion.NoStream, 1L), (error.StreamId, error.Expected, error.ActualVersion));
        Assert.Null(await _store.GetStreamAsync("acme", streams[0]));
        Assert.Null(await _store.GetStreamAsync("acme", streams[2]));
        Assert.Single(await _store.ReadStreamAsync("acme", streams[1]));
    }

    [Fact]
    public async Task one_existing_stream_fails_the_callers_transaction_and_nothing_commits()
    {
        var streams = NewStreams(3);
        await _store.AppendAsync("acme", streams[2], "thing", ExpectedVersion.NoStream, [Thing("existing")]);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();

        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Group(streams, ExpectedVersion.NoStream).CommitAsync(connection, tx));

        Assert.Equal(streams[2], error.StreamId);
        await using var probe = new NpgsqlCommand("SELECT 1", connection, tx);
        var aborted = await Assert.ThrowsAsync<PostgresException>(() => probe.ExecuteScalarAsync());
        Assert.Equal(PostgresErrorCodes.InFailedSqlTransaction, aborted.SqlState);
        await tx.RollbackAsync();
        Assert.Null(await _store.GetStreamAsync("acme", streams[0]));
        Assert.Null(await _store.GetStreamAsync("acme", streams[1]));
    }

    [Fact]
    public async Task a_new_stream_whose_event_id_belongs_to_another_stream_fails_the_group_naming_it()
    {
        var taken = Thing("taken");
        await _store.AppendAsync("acme", NewStreams(1)[0], "thing", ExpectedVersion.NoStream, [taken]);
        var streams = NewStreams(2);

        var error = await Assert.ThrowsAsync<PartialDuplicateAppendException>(() =>
            Group(streams, ExpectedVersion.NoStream, [Thing("fresh"), taken]).CommitAsync());

        Assert.Contains(streams[1], error.Message, StringComparison.Ordinal);
        Assert.Null(await _store.GetStreamAsync("acme", streams[0]));
        Assert.Null(await _store.GetStreamAsync("acme", streams[1]));
    }

    [Fact]
    public async Task a_group_of_exact_appends_advances_every_stream_in_one_statement()
    {
        var streams = await StreamsAtVersionOne(4);
        var before = _store.GroupedAppendStatements;

        var results = await Group(streams, ExpectedVersion.Exact(1)).CommitAsync();

        Assert.Equal(1, _store.GroupedAppendStatements - before);
        Assert.Equal(streams, results.Select(r => r.StreamId));
        Assert.All(results, r => Assert.Equal((2L, 2L, false), (r.FirstVersion, r.LastVersion, r.Duplicate)));
        foreach (var (stream, result) in streams.Zip(results))
        {
            Assert.Equal(2, (await _store.GetStreamAsync("acme", stream))!.Version);
            Assert.Equal(result.FirstPosition, (await _store.ReadStreamAsync("acme", stream))[1].GlobalPosition);
        }
    }

    [Fact]
    public async Task one_stale_exact_version_fails_the_group_naming_its_stream()
    {
        var streams = await StreamsAtVersionOne(3);
        await _store.AppendAsync("acme", streams[1], "thing", ExpectedVersion.Exact(1), [Thing("ahead")]);

        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Group(streams, ExpectedVersion.Exact(1)).CommitAsync());

        Assert.Equal((streams[1], ExpectedVersion.Exact(1), 2L), (error.StreamId, error.Expected, error.ActualVersion));
        Assert.Equal(1, (await _store.GetStreamAsync("acme", streams[0]))!.Version);
        Assert.Single(await _store.ReadStreamAsync("acme", streams[2]));
    }

    [Fact]
    public async Task an_archived_stream_fails_the_group_naming_it()
    {
        var streams = await StreamsAtVersionOne(3);
        Assert.True(await _store.ArchiveStreamAsync("acme", streams[0]));

        var error = await Assert.ThrowsAsync<StreamArchivedException>(() => Group(streams, ExpectedVersion.Exact(1)).CommitAsync());

        Assert.Equal(streams[0], error.StreamId);
        Assert.Single(await _store.ReadStreamAsync("acme", streams[1]));
        Assert.Single(await _store.ReadStreamAsync("acme", streams[2]));
    }

    [Fact]
    public async Task a_retried_exact_group_returns_the_original_results()
    {
        var streams = await StreamsAtVersionOne(3);
        NewEvent[] events = [Thing("x"), Thing("y"), Thing("z")];
        var first = await Group(streams, ExpectedVersion.Exact(1), events).CommitAsync();

        var retry = await Group(streams, ExpectedVersion.Exact(1), events).CommitAsync();

        Assert.All(retry, r => Assert.True(r.Duplicate));
        Assert.Equal(first.Select(r => (r.FirstVersion, r.FirstPosition)), retry.Select(r => (r.FirstVersion, r.FirstPosition)));
        Assert.Equal(2, (await _store.ReadStreamAsync("acme", streams[2])).Count);
    }
}

[CollectionDefinition(nameof(GroupedAppendTests), DisableParallelization = true)]
public sealed class GroupedAppendTestsCollection;
