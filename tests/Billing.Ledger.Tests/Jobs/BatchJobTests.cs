using Billing.Ledger.Jobs;
using Billing.Testing;
using static Billing.Ledger.Tests.Jobs.JobTestKit;

namespace Billing.Ledger.Tests.Jobs;

/// <summary>A handler that runs the claimed jobs of its type as one batch; what the batch leaves
/// open each test supplies, and single runs are recorded apart.</summary>
internal sealed class ScriptedBatchHandler(string jobType, JobPolicy policy, Func<IReadOnlyList<JobContext>, Task> batch, Func<JobContext, Task> single) : IBatchJobHandler
{
    public string JobType { get; } = jobType;

    public JobPolicy Policy { get; } = policy;

    public List<int> BatchSizes { get; } = [];

    public int SingleRuns { get; private set; }

    public Task HandleBatchAsync(IReadOnlyList<JobContext> jobs, CancellationToken ct)
    {
        BatchSizes.Add(jobs.Count);
        return batch(jobs);
    }

    public Task HandleAsync(JobContext context, CancellationToken ct)
    {
        SingleRuns++;
        return single(context);
    }
}

[Collection(JobsCollection.Name)]
public sealed class BatchJobTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private static readonly JobPolicy Twice = new(2, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    private readonly Billing.Ledger.Time.AdjustableClock _clock = NewClock();

    private JobQueue Queue => new(db.DataSource, _clock);

    private async Task<List<long>> EnqueueAsync(string type, int count)
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await Queue.EnqueueAsync(Request(type, $$"""{"n":{{i}}}"""), default))!.Value);
        }

        return ids;
    }

    private static Task CompleteAll(IEnumerable<JobContext> jobs, Billing.Ledger.EventStore.EventStore store) =>
        JobContext.CompleteAllWithAsync([.. jobs.Select(j => (j, store.BeginUnitOfWork()))], default);

    [Fact]
    public async Task a_batch_handler_completes_all_claimed_jobs_of_its_type_in_one_batch()
    {
        var type = NewType("batch");
        var store = db.CreateStore();
        var handler = new ScriptedBatchHandler(type, Twice, jobs => CompleteAll(jobs, store), _ => throw new InvalidOperationException("not expected"));
        var ids = await EnqueueAsync(type, 5);

        Assert.Equal(5, await Worker(db, _clock, handler).RunOnceAsync(default));

        Assert.Equal([5], handler.BatchSizes);
        Assert.Equal(0, handler.SingleRuns);
        foreach (var id in ids)
        {
            Assert.Equal("completed", (await Queue.GetAsync(id, default))!.State);
        }
    }

    [Fact]
    public async Task a_job_the_batch_leaves_open_runs_alone_and_fails_alone_until_dead()
    {
        var type = NewType("poison");
        var store = db.CreateStore();
        var ids = await EnqueueAsync(type, 4);
        var poison = ids[2];
        var handler = new ScriptedBatchHandler(type, Twice,
            jobs => CompleteAll(jobs.Where(j => j.Job.Id != poison), store),
            _ => throw new InvalidOperationException("poison"));
        var worker = Worker(db, _clock, handler);

        Assert.Equal(4, await worker.RunOnceAsync(default));
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await worker.RunOnceAsync(default));

        Assert.Equal(2, handler.SingleRuns);
        Assert.Equal(("dead", 2), ((await Queue.GetAsync(poison, default))!.State, (await Queue.GetAsync(poison, default))!.Attempts));
        foreach (var id in ids.Where(i => i != poison))
        {
            Assert.Equal(("completed", 1), ((await Queue.GetAsync(id, default))!.State, (await Queue.GetAsync(id, default))!.Attempts));
        }
    }

    [Fact]
    public async Task a_batch_that_throws_costs_no_attempt_and_each_job_runs_alone()
    {
        var type = NewType("throws");
        var store = db.CreateStore();
        var ids = await EnqueueAsync(type, 3);
        var handler = new ScriptedBatchHandler(type, Twice, _ => throw new InvalidOperationException("batch broke"), c => c.CompleteWithAsync(store.BeginUnitOfWork(), default));

        Assert.Equal(3, await Worker(db, _clock, handler).RunOnceAsync(default));

        Assert.Equal(3, handler.SingleRuns);
        foreach (var id in ids)
        {
            Assert.Equal(("completed", 1), ((await Queue.GetAsync(id, default))!.State, (await Queue.GetAsync(id, default))!.Attempts));
        }
    }
}
