using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Tests.EventStore;
using Billing.Testing;
using Npgsql;
using static Billing.Ledger.Tests.Jobs.JobTestKit;

namespace Billing.Ledger.Tests.Jobs;

[Collection(JobsCollection.Name)]
public sealed class OutboxTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Billing.Ledger.Time.AdjustableClock _clock = NewClock();

    private JobQueue Queue => new(db.DataSource, _clock);

    private static string NewStream() => "thing-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task job_enqueued_with_events_commits_with_them_and_carries_the_correlation_id()
    {
        var store = db.CreateStore(_clock);
        var type = NewType("outbox");
        var handler = new ScriptedHandler(type, JobPolicy.Default, Succeed);

        await store.BeginUnitOfWork(new EventMetadata(CorrelationId: "req-42"))
            .Append("acme", NewStream(), "thing", ExpectedVersion.NoStream, new ThingHappened("a", 1, "EUR"))
            .Enqueue(Request(type))
            .CommitAsync();

        Assert.Equal(1, await Worker(db, _clock, handler).RunOnceAsync(default));
        var job = Assert.Single(handler.Seen);
        Assert.Equal("req-42", job.CorrelationId);
        Assert.Equal(Start, job.RunAt);
        Assert.Equal("completed", (await Queue.GetAsync(job.Id, default))!.State);
    }

    [Fact]
    public async Task job_in_a_unit_of_work_whose_append_fails_is_not_stored()
    {
        var store = db.CreateStore(_clock);
        var type = NewType("outbox_fail");
        var stream = NewStream();
        await store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingHappened("a", 1, "EUR"))]);

        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.BeginUnitOfWork()
            .Append("acme", stream, "thing", ExpectedVersion.NoStream, new ThingHappened("b", 1, "EUR"))
            .Enqueue(Request(type))
            .CommitAsync());

        Assert.Equal(0, await Worker(db, _clock, new ScriptedHandler(type, JobPolicy.Default, Succeed)).RunOnceAsync(default));
        Assert.Equal(0, await CountJobsAsync(type));
    }

    [Fact]
    public async Task job_in_a_rolled_back_transaction_is_not_stored_and_neither_are_its_events()
    {
        var store = db.CreateStore(_clock);
        var type = NewType("outbox_rollback");
        var stream = NewStream();
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await store.BeginUnitOfWork()
                .Append("acme", stream, "thing", ExpectedVersion.NoStream, new ThingHappened("a", 1, "EUR"))
                .Enqueue(Request(type))
                .CommitAsync(connection, transaction);
            Assert.Equal(1, await CountJobsAsync(type, connection, transaction));
            await transaction.RollbackAsync();
        }

        Assert.Equal(0, await CountJobsAsync(type));
        Assert.Empty(await store.ReadStreamAsync("acme", stream));
    }

    [Fact]
    public async Task same_dedupe_key_enqueued_twice_yields_one_job()
    {
        var store = db.CreateStore(_clock);
        var type = NewType("dedupe");
        var key = "invoice-7-reminder-" + Guid.NewGuid();

        var first = await Queue.EnqueueAsync(Request(type, dedupeKey: key), default);
        var second = await Queue.EnqueueAsync(Request(type, dedupeKey: key), default);
        await store.BeginUnitOfWork()
            .Append("acme", NewStream(), "thing", ExpectedVersion.NoStream, new ThingHappened("a", 1, "EUR"))
            .Enqueue(Request(type, dedupeKey: key))
            .CommitAsync();

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.Equal(1, await CountJobsAsync(type));
        var handler = new ScriptedHandler(type, JobPolicy.Default, Succeed);
        await Worker(db, _clock, handler).DrainAsync(default);
        Assert.Null(await Queue.EnqueueAsync(Request(type, dedupeKey: key), default));
        Assert.Equal(1, handler.Runs);
    }

    [Fact]
    public async Task same_dedupe_key_for_a_different_job_is_rejected_not_dropped()
    {
        var store = db.CreateStore(_clock);
        var type = NewType("dedupe_conflict");
        var key = "charge-" + Guid.NewGuid();
        var id = await Queue.EnqueueAsync(Request(type, """{"amountMinor":500}""", dedupeKey: key), default);

        var error = await Assert.ThrowsAsync<JobDedupeConflictException>(() =>
            Queue.EnqueueAsync(Request(type, """{"amountMinor":900}""", dedupeKey: key), default));
        var stream = NewStream();
        var uowError = await Assert.ThrowsAsync<PostgresException>(() => store.BeginUnitOfWork()
            .Append("acme", stream, "thing", ExpectedVersion.NoStream, new ThingHappened("a", 1, "EUR"))
            .Enqueue(Request(type, """{"amountMinor":900}""", dedupeKey: key))
            .CommitAsync());

        Assert.Equal(id, error.ExistingJobId);
        Assert.Equal(JobDedupeConflictException.SqlState, uowError.SqlState);
        Assert.Empty(await store.ReadStreamAsync("acme", stream));
        Assert.Equal("""{"amountMinor": 500}""", (await Queue.GetAsync(id!.Value, default))!.PayloadJson);
    }

    private async Task<long> CountJobsAsync(string type, NpgsqlConnection? connection = null, NpgsqlTransaction? transaction = null)
    {
        const string sql = "SELECT count(*) FROM ledger.jobs WHERE type = $1";
        await using var command = connection is null ? db.DataSource.CreateCommand(sql) : new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
