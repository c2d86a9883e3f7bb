using System.Collections.Concurrent;
using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Tests.EventStore;
using Billing.Testing;
using static Billing.Ledger.Tests.Jobs.JobTestKit;

namespace Billing.Ledger.Tests.Jobs;

[Collection(JobsCollection.Name)]
public sealed class LeaseTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Billing.Ledger.Time.AdjustableClock _clock = NewClock();

    private JobQueue Queue => new(db.DataSource, _clock);

    [Fact]
    public async Task job_whose_worker_died_is_redelivered_after_its_lease_expires()
    {
        var type = NewType("lease");
        var id = (await Queue.EnqueueAsync(Request(type), default))!.Value;
        var died = new JobTable(db.DataSource, _clock, "died");
        Assert.Single(await died.ClaimAsync([type], 10, TimeSpan.FromMinutes(1), default));
        var handler = new ScriptedHandler(type, JobPolicy.Default, Succeed);
        var worker = Worker(db, _clock, handler, "survivor");

        Assert.True((await Queue.CountsAsync(default)).Running >= 1);
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, await worker.RunOnceAsync(default));
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await worker.RunOnceAsync(default));

        Assert.Equal(2, Assert.Single(handler.Seen).Attempt);
        var job = (await Queue.GetAsync(id, default))!;
        Assert.Equal("completed", job.State);
        var expiry = Assert.Single(job.Errors);
        Assert.Equal((1, "died"), (expiry.Attempt, expiry.Worker));
        Assert.Contains("lease expired", expiry.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task job_whose_workers_keep_dying_becomes_a_dead_letter_without_running_again()
    {
        var type = NewType("poison");
        var id = (await Queue.EnqueueAsync(Request(type), default))!.Value;
        for (var i = 1; i <= 2; i++)
        {
            Assert.Single(await new JobTable(db.DataSource, _clock, $"crashed{i}").ClaimAsync([type], 10, TimeSpan.FromMinutes(1), default));
            _clock.Advance(TimeSpan.FromMinutes(2));
        }

        var handler = new ScriptedHandler(type, new JobPolicy(2, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), Succeed);
        Assert.Equal(1, await Worker(db, _clock, handler).RunOnceAsync(default));

        Assert.Equal(0, handler.Runs);
        var dead = Assert.Single(await Queue.ListDeadLettersAsync(10, type, default));
        Assert.Equal((id, 3), (dead.Id, dead.Attempts));
        Assert.Equal(["crashed1", "crashed2", "w1"], dead.Errors.Select(e => e.Worker));
        Assert.Contains("exceeds the 2 allowed", dead.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task extending_the_lease_keeps_a_long_job_from_being_taken_over()
    {
        var type = NewType("long");
        await Queue.EnqueueAsync(Request(type), default);
        var takeoverRuns = -1;
        JobWorker? takeover = null;
        var handler = new ScriptedHandler(type, JobPolicy.Default, async (c, ct) =>
        {
            if (c.Job.Attempt > 1)
            {
                return;
            }

            _clock.Advance(TimeSpan.FromMinutes(4));
            await c.ExtendLeaseAsync(ct);
            _clock.Advance(TimeSpan.FromMinutes(4));
            takeoverRuns = await takeover!.RunOnceAsync(ct);
        });
        takeover = Worker(db, _clock, handler, "takeover");

        Assert.Equal(1, await Worker(db, _clock, handler, "long").RunOnceAsync(default));

        Assert.Equal(0, takeoverRuns);
        Assert.Equal(1, handler.Runs);
    }
}
