namespace Billing.Ledger.Observability;

/// <summary>The durable job queue as health and metrics see it.</summary>
/// <param name="OldestQueuedAt">When the longest-waiting due job became due (backlog age).</param>
public sealed record JobQueueStatus(long Queued, long Running, long Failed, long Dead, DateTimeOffset? OldestQueuedAt = null);

/// <summary>Implemented by the job queue; <c>/health/ready</c> reports "not configured" without one.</summary>
public interface IJobQueueProbe
{
    Task<JobQueueStatus> GetStatusAsync(CancellationToken ct);
}

/// <summary>One async projection's state: whether a daemon runs it, which node holds its
/// leadership (so a silently lost leader lock is visible), and how far behind the log it is.</summary>
public sealed record ProjectionStatus(string Name, bool Running, long LagEvents, string? Owner = null, DateTimeOffset? LastProcessedAt = null, string? Error = null);

/// <summary>Implemented by the projection daemon; <c>/health/ready</c> reports "not configured" without one.</summary>
public interface IProjectionStatusProbe
{
    Task<IReadOnlyList<ProjectionStatus>> GetStatusAsync(CancellationToken ct);
}
