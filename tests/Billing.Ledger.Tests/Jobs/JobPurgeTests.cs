using Billing.Ledger.Jobs;
using Billing.Testing;
using static Billing.Ledger.Tests.Jobs.JobTestKit;

namespace Billing.Ledger.Tests.Jobs;

/// <summary>Retention: a purge deletes completed jobs older than the cutoff, batch by batch, and
/// nothing else; a dry run only counts.</summary>
[Collection(JobsCollection.Name)]
public sealed class JobPurgeTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task a_purge_deletes_only_jobs_completed_before_the_cutoff_and_a_dry_run_deletes_nothing()
    {
        var clock = NewClock();
        var (doneType, deadType) = (NewType("purge_done"), NewType("purge_dead"));
        var done = new ScriptedHandler(doneType, JobPolicy.Default, Succeed);
        var failing = new ScriptedHandler(deadType, new JobPolicy(1, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), (_, _) => throw new InvalidOperationException("declined"));
        var worker = new JobWorker(db.DataSource, [done, failing], clock, new JobWorkerOptions { WorkerId = "purge-test" });
        var queue = new JobQueue(db.DataSource, clock);
        var old = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            old.Add((await queue.EnqueueAsync(Request(doneType, $$"""{"n":{{i}}}"""), default))!.Value);
        }

        var dead = (await queue.EnqueueAsync(Request(deadType), default))!.Value;
        await worker.DrainAsync(default);

        clock.Advance(TimeSpan.FromDays(40));
        var recent = (await queue.EnqueueAsync(Request(doneType, """{"n":"recent"}"""), default))!.Value;
        await worker.DrainAsync(default);
        var scheduled = (await queue.EnqueueAsync(Request(doneType, """{"n":"later"}""", runAt: clock.GetUtcNow().AddDays(1)), default))!.Value;

        var counted = await queue.PurgeCompletedAsync(TimeSpan.FromDays(30), confirm: false, default);
        Assert.Equal(new PurgedJobs(doneType, 5, Start), Assert.Single(counted, p => p.Type == doneType));
        Assert.DoesNotContain(counted, p => p.Type == deadType);
        foreach (var id in old)
        {
            Assert.Equal("completed", (await queue.GetAsync(id, default))!.State);
        }

        // Batches of two: three DELETEs, the last one short.
        var purged = await queue.PurgeCompletedAsync(TimeSpan.FromDays(30), confirm: true, default, batchSize: 2);
        Assert.Equal(new PurgedJobs(doneType, 5, Start), Assert.Single(purged, p => p.Type == doneType));
        foreach (var id in old)
        {
            Assert.Null(await queue.GetAsync(id, default));
        }

        Assert.Equal("completed", (await queue.GetAsync(recent, default))!.State);
        Assert.Equal("dead", (await queue.GetAsync(dead, default))!.State);
        Assert.Equal("pending", (await queue.GetAsync(scheduled, default))!.State);
        Assert.DoesNotContain(await queue.PurgeCompletedAsync(TimeSpan.FromDays(30), confirm: true, default), p => p.Type == doneType);
    }
}
