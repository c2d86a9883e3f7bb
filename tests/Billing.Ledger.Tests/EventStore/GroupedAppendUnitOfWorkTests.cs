using Billing.Ledger.EventStore;
using Billing.Testing;

namespace Billing.Ledger.Tests.EventStore;

/// <summary>Grouped appends next to the rest of a unit of work: other appends, the caller's
/// commands, shapes that must not group, and concurrent groups over the same streams.</summary>
[Collection(nameof(GroupedAppendTests))]
public sealed class GroupedAppendUnitOfWorkTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Billing.Ledger.EventStore.EventStore _store = db.CreateStore();

    private static string NewStream() => "mixed-" + Guid.NewGuid().ToString("N")[..8];

    private static NewEvent Thing(string name) => NewEvent.For(new ThingHappened(name, 1, "EUR"));

    public async Task InitializeAsync()
    {
        await using var create = db.DataSource.CreateCommand("CREATE TABLE IF NOT EXISTS grouped_marks (id text PRIMARY KEY)");
        await create.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<long> MarkCount(string id)
    {
        await using var count = db.DataSource.CreateCommand("SELECT count(*) FROM grouped_marks WHERE id = $1");
        count.Parameters.Add(new() { Value = id });
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task groups_other_appends_and_commands_commit_together_with_results_in_append_order()
    {
        var (n1, n2, multi, e1, e2) = (NewStream(), NewStream(), NewStream(), NewStream(), NewStream());
        await _store.BeginUnitOfWork().Append("acme", e1, "thing", ExpectedVersion.NoStream, Thing("e1")).Append("acme", e2, "thing", ExpectedVersion.NoStream, Thing("e2")).CommitAsync();
        var mark = Guid.NewGuid().ToString("N");
        var before = _store.GroupedAppendStatements;

        var results = await _store.BeginUnitOfWork()
            .Append("acme", e1, "thing", ExpectedVersion.Exact(1), Thing("e1.2"))
            .Append("acme", n1, "thing", ExpectedVersion.NoStream, Thing("n1"))
            .Append("acme", multi, "thing", ExpectedVersion.NoStream, Thing("m1"), Thing("m2"))
            .AddCommand("INSERT INTO grouped_marks (id) VALUES ($1)", mark)
            .Append("acme", n2, "thing", ExpectedVersion.NoStream, Thing("n2"))
            .Append("acme", e2, "thing", ExpectedVersion.Exact(1), Thing("e2.2"))
            .CommitAsync();

        Assert.Equal(2, _store.GroupedAppendStatements - before);
        Assert.Equal([e1, n1, multi, n2, e2], results.Select(r => r.StreamId));
        Assert.Equal([(2L, 2L), (1L, 1L), (1L, 2L), (1L, 1L), (2L, 2L)], results.Select(r => (r.FirstVersion, r.LastVersion)));
        Assert.Equal(1, await MarkCount(mark));
        Assert.Equal(2, (await _store.ReadStreamAsync("acme", multi)).Count);
        Assert.Equal(results[3].FirstPosition, Assert.Single(await _store.ReadStreamAsync("acme", n2)).GlobalPosition);
    }

    [Fact]
    public async Task a_failing_command_next_to_a_group_writes_nothing_of_the_group()
    {
        var (n1, n2) = (NewStream(), NewStream());
        var mark = Guid.NewGuid().ToString("N");
        await _store.BeginUnitOfWork().AddCommand("INSERT INTO grouped_marks (id) VALUES ($1)", mark).CommitAsync();

        await Assert.ThrowsAnyAsync<Npgsql.PostgresException>(() => _store.BeginUnitOfWork()
            .Append("acme", n1, "thing", ExpectedVersion.NoStream, Thing("n1"))
            .Append("acme", n2, "thing", ExpectedVersion.NoStream, Thing("n2"))
            .AddCommand("INSERT INTO grouped_marks (id) VALUES ($1)", mark)
            .CommitAsync());

        Assert.Null(await _store.GetStreamAsync("acme", n1));
        Assert.Null(await _store.GetStreamAsync("acme", n2));
    }

    [Fact]
    public async Task a_stream_appended_twice_or_a_lone_candidate_is_not_grouped()
    {
        var (s, other, any) = (NewStream(), NewStream(), NewStream());
        var before = _store.GroupedAppendStatements;

        var results = await _store.BeginUnitOfWork()
            .Append("acme", s, "thing", ExpectedVersion.NoStream, Thing("s1"))
            .Append("acme", other, "thing", ExpectedVersion.NoStream, Thing("o1"))
            .Append("acme", s, "thing", ExpectedVersion.Exact(1), Thing("s2"))
            .Append("acme", any, "thing", ExpectedVersion.Any, Thing("a1"))
            .CommitAsync();

        Assert.Equal(0, _store.GroupedAppendStatements - before);
        Assert.Equal([(1L, 1L), (1L, 1L), (2L, 2L), (1L, 1L)], results.Select(r => (r.FirstVersion, r.LastVersion)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task concurrent_groups_over_the_same_streams_in_opposite_order_never_deadlock(bool exact)
    {
        for (var round = 0; round < 5; round++)
        {
            var streams = Enumerable.Range(0, 8).Select(_ => NewStream()).ToArray();
            if (exact)
            {
                await streams.Aggregate(_store.BeginUnitOfWork(), (uow, s) => uow.Append("acme", s, "thing", ExpectedVersion.NoStream, Thing(s))).CommitAsync();
            }

            var expected = exact ? ExpectedVersion.Exact(1) : ExpectedVersion.NoStream;
            var attempts = await Task.WhenAll(new[] { streams, streams.Reverse().ToArray() }.Select(order => Task.Run(async () =>
            {
                try
                {
                    await order.Aggregate(_store.BeginUnitOfWork(), (uow, s) => uow.Append("acme", s, "thing", expected, Thing(s + order[0]))).CommitAsync();
                    return (Won: true, Actual: 0L);
                }
                catch (WrongExpectedVersionException e)
                {
                    return (Won: false, Actual: e.ActualVersion);
                }
            }))).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Single(attempts, a => a.Won);
            Assert.All(attempts.Where(a => !a.Won), a => Assert.Equal(exact ? 2 : 1, a.Actual));
            foreach (var stream in streams)
            {
                Assert.Equal(exact ? 2 : 1, (await _store.GetStreamAsync("acme", stream))!.Version);
            }
        }
    }
}
