using Billing.Ledger.Jobs;
using Billing.Testing;
using static Billing.Ledger.Tests.Jobs.JobTestKit;

namespace Billing.Ledger.Tests.Jobs;

/// <summary>A hold defers the types it holds and nothing else; the held jobs run once it ends.</summary>
[Collection(JobsCollection.Name)]
public sealed class JobHoldTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Billing.Ledger.Time.AdjustableClock _clock = NewClock();

    private sealed class SwitchableHold(string type) : IJobHold
    {
        public bool On { get; set; } = true;

        public bool Holds(string jobType) => On && jobType == type;
    }

    [Fact]
    public async Task a_held_type_is_not_claimed_while_other_types_run_and_runs_once_the_hold_ends()
    {
        var (heldType, freeType) = (NewType("held"), NewType("free"));
        var held = new ScriptedHandler(heldType, JobPolicy.Default, Succeed);
        var free = new ScriptedHandler(freeType, JobPolicy.Default, Succeed);
        var hold = new SwitchableHold(heldType);
        var worker = new JobWorker(db.DataSource, [held, free], _clock, new JobWorkerOptions { WorkerId = "hold-test" }, holds: [hold]);
        var queue = new JobQueue(db.DataSource, _clock);
        var heldJob = (await queue.EnqueueAsync(Request(heldType), default))!.Value;
        await queue.EnqueueAsync(Request(freeType), default);

        Assert.Equal(1, await worker.RunOnceAsync(default));
        Assert.Equal((0, 1), (held.Runs, free.Runs));
        Assert.Equal(0, await worker.RunOnceAsync(default));
        Assert.Equal("pending", (await queue.GetAsync(heldJob, default))!.State);

        hold.On = false;
        Assert.Equal(1, await worker.RunOnceAsync(default));
        Assert.Equal((1, 1), (held.Runs, free.Runs));
        Assert.Equal("completed", (await queue.GetAsync(heldJob, default))!.State);
    }
}
