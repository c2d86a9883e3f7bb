using System.Text.Json.Nodes;
using Billing.Ledger.EventStore;
using Billing.Ledger.Time;
using Billing.Testing;
using Npgsql;

namespace Billing.Ledger.Tests.EventStore;

// The log reader only sees transactions below the cluster-wide xmin horizon, so any write
// transaction open elsewhere in the test cluster (another class's migrations, CREATE DATABASE)
// can hide this class's own fresh commits for a moment: run it alone, after the parallel tests.
[Collection(LogReaderCollection.Name)]
public sealed class ReadTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private static string NewStream() => "thing-" + Guid.NewGuid().ToString("N")[..8];

    private static NewEvent Thing(string name) => NewEvent.For(new ThingHappened(name, 1, "EUR"));

    [Fact]
    public async Task a_stream_reads_forward_from_a_version_and_up_to_a_version()
    {
        var store = db.CreateStore();
        var stream = NewStream();
        await store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, new[] { "a", "b", "c", "d" }.Select(Thing));

        var middle = await store.ReadStreamAsync("acme", stream, new StreamReadOptions(FromVersion: 2, ToVersion: 3));

        Assert.Equal(["b", "c"], middle.Select(e => ((ThingHappened)e.Data).Name));
    }

    [Fact]
    public async Task a_stream_reads_as_it_stood_at_a_past_moment()
    {
        var clock = new AdjustableClock(new DateTimeOffset(2026, 1, 31, 12, 0, 0, TimeSpan.Zero));
        var store = db.CreateStore(clock);
        var stream = NewStream();
        await store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, [Thing("january")]);
        clock.Advance(TimeSpan.FromDays(1));
        await store.AppendAsync("acme", stream, "thing", ExpectedVersion.Exact(1), [Thing("february")]);

        var asOfJanuary = await store.ReadStreamAsync("acme", stream, new StreamReadOptions(AsOf: new DateTimeOffset(2026, 1, 31, 23, 59, 59, TimeSpan.Zero)));
        var now = await store.ReadStreamAsync("acme", stream);

        Assert.Equal(["january"], asOfJanuary.Select(e => ((ThingHappened)e.Data).Name));
        Assert.Equal(2, now.Count);
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 12, 0, 0, TimeSpan.Zero), now[1].RecordedAt);
    }

    [Fact]
    public async Task a_tenant_cannot_read_another_tenants_stream()
    {
        var store = db.CreateStore();
        var stream = NewStream();
        await store.AppendAsync("tenant-b", stream, "thing", ExpectedVersion.NoStream, [Thing("secret")]);

        var tenantA = store.ForTenant("tenant-a");

        Assert.Empty(await tenantA.ReadStreamAsync(stream));
        Assert.Null(await tenantA.GetStreamAsync(stream));
        Assert.Single(await store.ForTenant("tenant-b").ReadStreamAsync(stream));
    }

    [Fact]
    public async Task the_log_reads_in_commit_order_filtered_by_tenant_and_type()
    {
        var store = db.CreateStore();
        var tenant = "filter-" + Guid.NewGuid().ToString("N")[..6];
        await store.AppendAsync(tenant, NewStream(), "thing", ExpectedVersion.NoStream, [Thing("one")]);
        await store.AppendAsync("someone-else", NewStream(), "thing", ExpectedVersion.NoStream, [Thing("other")]);
        await store.AppendAsync(tenant, NewStream(), "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingRenamedV2("x", "why"))]);
        await store.AppendAsync(tenant, NewStream(), "thing", ExpectedVersion.NoStream, [Thing("two")]);

        var page = await Poll.UntilAsync(
            () => store.ReadAllAsync(LogPosition.Start, 100, new LogFilter(tenant, ["test.thing_happened.v1"])),
            p => p.Events.Count >= 2, what: "both committed events to become readable");

        Assert.Equal(["one", "two"], page.Events.Select(e => ((ThingHappened)e.Data).Name));
        Assert.Equal(page.Events[^1].Position, page.Next);
        var again = await store.ReadAllAsync(page.Next, 100, new LogFilter(tenant, ["test.thing_happened.v1"]));
        Assert.Empty(again.Events);
        Assert.Equal(page.Next, again.Next);
    }

    [Fact]
    public async Task the_log_reader_never_skips_an_event_whose_transaction_commits_late()
    {
        var store = db.CreateStore();
        var tenant = "late-" + Guid.NewGuid().ToString("N")[..6];
        var filter = new LogFilter(tenant);

        // Transaction A appends first (smaller global position) and stays open.
        await using var held = await db.DataSource.OpenConnectionAsync();
        await using var tx = await held.BeginTransactionAsync();
        await store.BeginUnitOfWork().Append(tenant, "held", "thing", ExpectedVersion.NoStream, Thing("held")).CommitAsync(held, tx);

        // Transaction B appends and commits while A is still open.
        await store.AppendAsync(tenant, "quick", "thing", ExpectedVersion.NoStream, [Thing("quick")]);

        // A reader passing now must not move past A's event: it sees nothing beyond A yet.
        var whileHeld = await store.ReadAllAsync(LogPosition.Start, 100, filter);
        Assert.DoesNotContain(whileHeld.Events, e => ((ThingHappened)e.Data).Name == "quick");

        await tx.CommitAsync();

        var afterCommit = await Poll.UntilAsync(
            () => store.ReadAllAsync(whileHeld.Next, 100, filter),
            p => whileHeld.Events.Count + p.Events.Count >= 2, what: "the held transaction's event");
        var delivered = whileHeld.Events.Concat(afterCommit.Events).Select(e => ((ThingHappened)e.Data).Name).ToList();
        Assert.Equal(["held", "quick"], delivered);
    }

    [Fact]
    public async Task an_upcaster_turns_a_stored_old_shape_into_the_current_event()
    {
        var store = db.CreateStore();
        store.Registry.AddUpcaster("test.thing_renamed.v1", "test.thing_renamed.v2", old => new JsonObject
        {
            ["newName"] = old["name"]?.GetValue<string>(),
            ["reason"] = "unknown (recorded before v2)",
        });
        var stream = NewStream();
        await InsertRawAsync("acme", stream, "test.thing_renamed.v1", """{"name":"legacy"}""");

        var stored = Assert.Single(await store.ReadStreamAsync("acme", stream));

        Assert.Equal("test.thing_renamed.v2", stored.Type);
        Assert.Equal(new ThingRenamedV2("legacy", "unknown (recorded before v2)"), stored.Data);
    }

    [Fact]
    public async Task an_unknown_event_type_on_read_is_an_error_naming_the_type()
    {
        var store = db.CreateStore();
        var stream = NewStream();
        await InsertRawAsync("acme", stream, "test.never_registered.v1", "{}");

        var error = await Assert.ThrowsAsync<UnknownEventTypeException>(() => store.ReadStreamAsync("acme", stream));

        Assert.Equal("test.never_registered.v1", error.WireType);
        Assert.Contains("test.never_registered.v1", error.Message, StringComparison.Ordinal);
    }

    private async Task InsertRawAsync(string tenant, string stream, string type, string json)
    {
        const string sql = "SELECT * FROM ledger.append_to_stream($1, $2, 'thing', -1, ARRAY[gen_random_uuid()], ARRAY[$3], ARRAY[$4::jsonb], ARRAY[NULL::jsonb], NULL, NULL, NULL, NULL)";
        await using var command = db.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = stream });
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        command.Parameters.Add(new NpgsqlParameter { Value = json });
        await command.ExecuteNonQueryAsync();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LogReaderCollection
{
    public const string Name = "log-reader";
}
