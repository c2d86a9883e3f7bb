using System.Collections.Concurrent;
using Billing.Ledger.Jobs;
using Billing.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Billing.Ledger.Tests.Jobs.JobTestKit;

namespace Billing.Ledger.Tests.Jobs;

/// <summary>The hosted service as the Host runs it. Workers poll only every ten minutes here, so
/// a job that runs within the deadline was woken by LISTEN/NOTIFY or by the test clock.</summary>
[Collection(JobsCollection.Name)]
public sealed class HostedWorkerTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly Billing.Ledger.Time.AdjustableClock _clock = NewClock();
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _done = new();

    [Fact]
    public async Task enqueued_job_wakes_idle_workers_through_listen_notify()
    {
        var type = NewType("hosted");
        await using var services = Services(type);
        var hosted = services.GetServices<IHostedService>().OfType<JobWorkerService>().Single();
        var queue = services.GetRequiredService<JobQueue>();
        await hosted.StartAsync(default);
        try
        {
            var first = (await queue.EnqueueAsync(Request(type, """{"n":1}"""), default))!.Value;
            await Completion(first).WaitAsync(Deadline);
            var second = (await queue.EnqueueAsync(Request(type, """{"n":2}"""), default))!.Value;
            await Completion(second).WaitAsync(Deadline);
            Assert.Equal("completed", (await queue.GetAsync(second, default))!.State);
        }
        finally
        {
            await hosted.StopAsync(default);
        }
    }

    [Fact]
    public async Task advancing_the_test_clock_fires_a_scheduled_job_in_the_running_host()
    {
        var type = NewType("hosted_clock");
        await using var services = Services(type);
        var hosted = services.GetServices<IHostedService>().OfType<JobWorkerService>().Single();
        var queue = services.GetRequiredService<JobQueue>();
        var id = (await queue.EnqueueAsync(Request(type, runAt: Start + TimeSpan.FromDays(14)), default))!.Value;
        await hosted.StartAsync(default);
        try
        {
            Assert.False(Completion(id).IsCompleted);
            _clock.Advance(TimeSpan.FromDays(14));
            await Completion(id).WaitAsync(Deadline);
        }
        finally
        {
            await hosted.StopAsync(default);
        }
    }

    private Task Completion(long jobId) => _done.GetOrAdd(jobId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private ServiceProvider Services(string type)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(db.DataSource);
        services.AddSingleton<TimeProvider>(_clock);
        services.AddJobQueue(o => o.Worker = new JobWorkerOptions { PollInterval = TimeSpan.FromMinutes(10) });
        var store = db.CreateStore(_clock);

        // Completes explicitly before signalling, so the job row is final when the test resumes.
        services.AddSingleton<IJobHandler>(new ScriptedHandler(type, JobPolicy.Default, async (c, ct) =>
        {
            await c.CompleteWithAsync(store.BeginUnitOfWork(c.Metadata), ct);
            _done.GetOrAdd(c.Job.Id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }));
        return services.BuildServiceProvider();
    }
}
