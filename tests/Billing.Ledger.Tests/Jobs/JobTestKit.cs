using Billing.Ledger.Jobs;
using Billing.Ledger.Time;

namespace Billing.Ledger.Tests.Jobs;

/// <summary>A handler whose behaviour each test supplies; records every run.</summary>
internal sealed class ScriptedHandler(string jobType, JobPolicy policy, Func<JobContext, CancellationToken, Task> run) : IJobHandler
{
    private int _runs;

    public string JobType { get; } = jobType;

    public JobPolicy Policy { get; } = policy;

    public int Runs => Volatile.Read(ref _runs);

    public List<Job> Seen { get; } = [];

    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        Interlocked.Increment(ref _runs);
        lock (Seen)
        {
            Seen.Add(context.Job);
        }

        await run(context, ct);
    }
}

internal static class JobTestKit
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public static AdjustableClock NewClock() => new(Start);

    /// <summary>A job type no other test uses, so tests sharing a database never claim each other's jobs.</summary>
    public static string NewType(string name) => $"test.{name}.{Guid.NewGuid():N}"[..40];

    public static JobRequest Request(string type, string payload = """{"n":1}""", DateTimeOffset? runAt = null, string? dedupeKey = null) =>
        new(type, payload, "acme", runAt, dedupeKey);

    public static JobWorker Worker(Billing.Testing.DatabaseFixture db, TimeProvider clock, IJobHandler handler, string id = "w1", TimeSpan? lease = null, int batch = 16) =>
        new(db.DataSource, [handler], clock, new JobWorkerOptions { WorkerId = id, LeaseDuration = lease ?? TimeSpan.FromMinutes(5), BatchSize = batch });

    public static Func<JobContext, CancellationToken, Task> Succeed => (_, _) => Task.CompletedTask;
}

/// <summary>Job tests run on their own, after the parallel ones: the log reader's visibility
/// horizon (pg_snapshot_xmin) is cluster-wide, so the queue's many short write transactions in
/// other test databases would make event-store read tests see their own commits late.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class JobsCollection
{
    public const string Name = "jobs";
}
