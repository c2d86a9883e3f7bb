using Billing.Ledger.Jobs;
using Billing.Testing;
using static Billing.Ledger.Tests.Jobs.JobTestKit;

namespace Billing.Ledger.Tests.Jobs;

[Collection(JobsCollection.Name)]
public sealed class RetryTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Billing.Ledger.Time.AdjustableClock _clock = NewClock();

    private JobQueue Queue => new(db.DataSource, _clock);

    [Fact]
    public async Task failed_job_is_not_due_before_its_backoff_and_is_due_after_it()
    {
        var type = NewType("retry");
        var policy = new JobPolicy(5, TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
        var handler = new ScriptedHandler(type, policy, (c, _) =>
            c.Job.Attempt < 3 ? throw new InvalidOperationException("provider down") : Task.CompletedTask);
        var worker = Worker(db, _clock, handler);
        var id = (await Queue.EnqueueAsync(Request(type), default))!.Value;

        Assert.Equal(1, await worker.RunOnceAsync(default));
        var afterFirst = (await Queue.GetAsync(id, default))!;
        Assert.Equal(("pending", 1), (afterFirst.State, afterFirst.Attempts));
        Assert.InRange(afterFirst.RunAt, Start + TimeSpan.FromSeconds(30), Start + TimeSpan.FromMinutes(1));
        Assert.True((await Queue.CountsAsync(default)).Retrying >= 1);

        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, await worker.RunOnceAsync(default));
        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(1, await worker.RunOnceAsync(default));

        // Attempt 2 failed: the nominal delay doubles to two minutes.
        var afterSecond = (await Queue.GetAsync(id, default))!;
        Assert.InRange(afterSecond.RunAt, _clock.GetUtcNow() + TimeSpan.FromMinutes(1), _clock.GetUtcNow() + TimeSpan.FromMinutes(2));
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await worker.RunOnceAsync(default));
        Assert.Equal("completed", (await Queue.GetAsync(id, default))!.State);
        Assert.Equal([1, 2, 3], handler.Seen.Select(j => j.Attempt));
    }

    [Fact]
    public async Task job_is_a_dead_letter_after_max_attempts_with_every_error_and_requeue_runs_it()
    {
        var type = NewType("dead");
        var healthy = false;
        var handler = new ScriptedHandler(type, new JobPolicy(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)), (c, _) =>
            healthy ? Task.CompletedTask : throw new InvalidOperationException($"boom {c.Job.Attempt}"));
        var worker = Worker(db, _clock, handler);
        var id = (await Queue.EnqueueAsync(Request(type), default))!.Value;

        for (var i = 0; i < 5; i++)
        {
            await worker.DrainAsync(default);
            _clock.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.Equal(3, handler.Runs);
        var dead = Assert.Single(await Queue.ListDeadLettersAsync(10, type, default));
        Assert.Equal((id, 3), (dead.Id, dead.Attempts));
        Assert.Equal([1, 2, 3], dead.Errors.Select(e => e.Attempt));
        Assert.All(dead.Errors.Select((e, i) => (e, i)), x => Assert.Contains($"boom {x.i + 1}", x.e.Error, StringComparison.Ordinal));
        Assert.All(dead.Errors, e => Assert.Equal("w1", e.Worker));
        Assert.Contains("boom 3", dead.LastError, StringComparison.Ordinal);
        Assert.True((await Queue.CountsAsync(default)).Dead >= 1);

        healthy = true;
        Assert.True(await Queue.RequeueAsync(id, default));
        Assert.Equal(1, await worker.RunOnceAsync(default));
        var done = (await Queue.GetAsync(id, default))!;
        Assert.Equal(("completed", 1, 3), (done.State, done.Attempts, done.Errors.Count));
        Assert.False(await Queue.RequeueAsync(id, default));
        Assert.Empty(await Queue.ListDeadLettersAsync(10, type, default));
    }

    [Fact]
    public async Task job_scheduled_days_ahead_fires_only_after_the_clock_passes_it()
    {
        var type = NewType("dunning");
        var handler = new ScriptedHandler(type, JobPolicy.Default, Succeed);
        var worker = Worker(db, _clock, handler);
        var due = Start + TimeSpan.FromDays(3);
        var scheduledBefore = (await Queue.CountsAsync(default)).Scheduled;
        var id = (await Queue.EnqueueAsync(Request(type, runAt: due), default))!.Value;

        Assert.Equal(scheduledBefore + 1, (await Queue.CountsAsync(default)).Scheduled);
        _clock.Advance(TimeSpan.FromDays(3) - TimeSpan.FromMinutes(1));
        await worker.DrainAsync(default);
        Assert.Equal(0, handler.Runs);

        _clock.Advance(TimeSpan.FromMinutes(2));
        await worker.DrainAsync(default);
        var job = Assert.Single(handler.Seen);
        Assert.Equal((id, due), (job.Id, job.RunAt));
    }

    [Fact]
    public async Task rescheduled_job_runs_later_without_spending_an_attempt()
    {
        var type = NewType("reschedule");
        var handler = new ScriptedHandler(type, new JobPolicy(1, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), (c, ct) =>
            c.Job.RunAt == Start ? c.RescheduleAsync(Start + TimeSpan.FromHours(1), "provider asked to retry after 1h", ct) : Task.CompletedTask);
        var worker = Worker(db, _clock, handler);
        var id = (await Queue.EnqueueAsync(Request(type), default))!.Value;

        Assert.Equal(1, await worker.RunOnceAsync(default));
        var waiting = (await Queue.GetAsync(id, default))!;
        Assert.Equal(("pending", 0), (waiting.State, waiting.Attempts));
        Assert.Contains("retry after 1h", waiting.Note, StringComparison.Ordinal);
        Assert.Equal(0, await worker.RunOnceAsync(default));

        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, await worker.RunOnceAsync(default));
        Assert.Equal([1, 1], handler.Seen.Select(j => j.Attempt));
        Assert.Equal("completed", (await Queue.GetAsync(id, default))!.State);
    }
}
