using System.Collections.Concurrent;
using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Tests.EventStore;
using Billing.Testing;
using static Billing.Ledger.Tests.Jobs.JobTestKit;

namespace Billing.Ledger.Tests.Jobs;

[Collection(JobsCollection.Name)]
public sealed class ConcurrencyTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Billing.Ledger.Time.AdjustableClock _clock = NewClock();

    private JobQueue Queue => new(db.DataSource, _clock);

    [Fact]
    public async Task eight_workers_never_run_the_same_job_twice_or_at_once()
    {
        var type = NewType("many");
        const int jobs = 400;
        var uow = db.CreateStore(_clock).BeginUnitOfWork();
        for (var i = 0; i < jobs; i++)
        {
            uow.Enqueue(Request(type, $$"""{"n":{{i}}}"""));
        }

        await uow.CommitAsync();
        var executions = new ConcurrentDictionary<long, int>();
        var running = new ConcurrentDictionary<long, bool>();
        var overlaps = 0;
        var handler = new ScriptedHandler(type, JobPolicy.Default, async (c, ct) =>
        {
            if (!running.TryAdd(c.Job.Id, true))
            {
                Interlocked.Increment(ref overlaps);
            }

            executions.AddOrUpdate(c.Job.Id, 1, (_, n) => n + 1);
            await Task.Yield();
            running.TryRemove(c.Job.Id, out _);
        });

        var workers = Enumerable.Range(0, 8).Select(i => Worker(db, _clock, handler, $"w{i}", batch: 4)).ToList();
        await Task.WhenAll(workers.Select(w => Task.Run(() => w.DrainAsync(default))));

        Assert.Equal(0, overlaps);
        Assert.Equal(jobs, executions.Count);
        Assert.All(executions.Values, n => Assert.Equal(1, n));
        await using var unfinished = db.DataSource.CreateCommand("SELECT count(*) FROM ledger.jobs WHERE type = $1 AND state <> 'completed'");
        unfinished.Parameters.Add(new Npgsql.NpgsqlParameter { Value = type });
        Assert.Equal(0L, await unfinished.ExecuteScalarAsync());
    }

    [Fact]
    public async Task handler_events_and_completion_commit_together_and_a_lost_lease_appends_nothing()
    {
        var store = db.CreateStore(_clock);
        var type = NewType("atomic");
        var stream = "thing-" + Guid.NewGuid().ToString("N")[..8];
        var id = (await Queue.EnqueueAsync(Request(type), default))!.Value;
        JobWorker? takeover = null;
        Exception? lost = null;
        var handler = new ScriptedHandler(type, JobPolicy.Default, async (c, ct) =>
        {
            var uow = store.BeginUnitOfWork(c.Metadata)
                .Append("acme", stream, "thing", ExpectedVersion.Any, new ThingHappened($"attempt {c.Job.Attempt}", 1, "EUR"));
            if (c.Job.Attempt == 1)
            {
                // This worker stalls past its lease; another worker takes the job over meanwhile.
                _clock.Advance(TimeSpan.FromMinutes(2));
                Assert.Equal(1, await takeover!.RunOnceAsync(ct));
                lost = await Record.ExceptionAsync(() => c.CompleteWithAsync(uow, ct));
                return;
            }

            await c.CompleteWithAsync(uow, ct);
        });
        takeover = Worker(db, _clock, handler, "takeover", TimeSpan.FromMinutes(1));

        Assert.Equal(1, await Worker(db, _clock, handler, "stalled", TimeSpan.FromMinutes(1)).RunOnceAsync(default));

        Assert.IsType<JobLeaseLostException>(lost);
        var events = await store.ReadStreamAsync("acme", stream);
        var only = Assert.Single(events);
        Assert.Equal("attempt 2", ((ThingHappened)only.Data).Name);
        Assert.Equal($"job:{id}", only.Metadata.CausationId);
        var job = (await Queue.GetAsync(id, default))!;
        Assert.Equal(("completed", 2), (job.State, job.Attempts));
    }

    [Fact]
    public async Task failing_append_in_completion_leaves_the_job_uncompleted_for_retry()
    {
        var store = db.CreateStore(_clock);
        var type = NewType("append_fails");
        var stream = "thing-" + Guid.NewGuid().ToString("N")[..8];
        await store.AppendAsync("acme", stream, "thing", ExpectedVersion.NoStream, [NewEvent.For(new ThingHappened("existing", 1, "EUR"))]);
        var id = (await Queue.EnqueueAsync(Request(type), default))!.Value;
        var handler = new ScriptedHandler(type, new JobPolicy(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), (c, ct) =>
            c.CompleteWithAsync(store.BeginUnitOfWork().Append("acme", stream, "thing", ExpectedVersion.NoStream, new ThingHappened("dup", 1, "EUR")), ct));

        Assert.Equal(1, await Worker(db, _clock, handler).RunOnceAsync(default));

        var job = (await Queue.GetAsync(id, default))!;
        Assert.Equal(("pending", 1), (job.State, job.Attempts));
        Assert.Contains(nameof(WrongExpectedVersionException), Assert.Single(job.Errors).Error, StringComparison.Ordinal);
        Assert.Single(await store.ReadStreamAsync("acme", stream));
    }

    [Fact]
    public async Task shutdown_releases_the_running_job_without_spending_an_attempt()
    {
        var type = NewType("shutdown");
        var id = (await Queue.EnqueueAsync(Request(type), default))!.Value;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHandler(type, JobPolicy.Default, async (_, ct) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        using var stop = new CancellationTokenSource();
        var run = Worker(db, _clock, handler).RunAsync(stop.Token);

        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        var job = (await Queue.GetAsync(id, default))!;
        Assert.Equal(("pending", 0, null), (job.State, job.Attempts, job.LockedBy));
        Assert.Contains("released at shutdown", job.Note, StringComparison.Ordinal);
        Assert.Empty(job.Errors);
    }
}
