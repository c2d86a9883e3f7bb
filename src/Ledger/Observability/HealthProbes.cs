namespace Billing.Ledger.Observability;

/// <summary>The durable job queue as health and metrics see it. Queued: due and never tried;
/// scheduled: not due yet; running: claimed; failed: failed at least once and waiting for a retry;
/// dead: dead letters an operator must look at.</summary>
/// <param name="OldestDueAt">run_at of the oldest due job not running (backlog age).</param>
public sealed record JobQueueHealth(long Queued, long Running, long Failed, long Dead, long Scheduled = 0, DateTimeOffset? OldestDueAt = null);

/// <summary>Implemented by the job queue; <c>/health/ready</c> reports "not configured" without one.</summary>
public interface IJobQueueProbe
{
    Task<JobQueueHealth> GetHealthAsync(CancellationToken ct);
}

/// <summary>One projection's state: whether it is healthy (inline, or async and led by a node with
/// a fresh heartbeat — so a silently lost leader lock is visible), which node owns it, and how far
/// behind the log it is.</summary>
/// <param name="State">e.g. <c>running</c>, <c>paused</c> (stopped at a dead letter), <c>rebuilding</c>.</param>
/// <param name="Detail">Why it is not healthy (paused reason, rebuild progress), if anything.</param>
public sealed record ProjectionHealth(string Name, string State, bool Healthy, long LagEvents, string? Owner = null, DateTimeOffset? LastAppliedAt = null, string? Detail = null);

/// <summary>Implemented by the projection daemon; <c>/health/ready</c> reports "not configured" without one.</summary>
public interface IProjectionHealthProbe
{
    Task<IReadOnlyList<ProjectionHealth>> GetHealthAsync(CancellationToken ct);
}
