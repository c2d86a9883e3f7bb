using Billing.Ledger.Observability;

namespace Billing.Ledger.Jobs;

/// <summary>The queue as <c>/health/ready</c> and <c>/metrics</c> see it.</summary>
public sealed class JobQueueProbe(JobQueue queue) : IJobQueueProbe
{
    public async Task<JobQueueHealth> GetHealthAsync(CancellationToken ct)
    {
        var counts = await queue.CountsAsync(ct);
        return new JobQueueHealth(counts.Queued, counts.Running, counts.Retrying, counts.Dead, counts.Scheduled, counts.OldestDueAt);
    }
}
