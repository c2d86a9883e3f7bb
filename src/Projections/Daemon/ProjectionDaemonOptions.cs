namespace Billing.Projections.Daemon;

/// <summary>Tuning of the async daemon. Defaults suit a Host: takeover of a dead node's
/// projections within ~2 s, a poll every 2 s in case a notification is missed.</summary>
public sealed record ProjectionDaemonOptions
{
    /// <summary>Identifies this process in <c>ledger.projection_state.owner_node</c>.</summary>
    public string NodeId { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    public int PageSize { get; init; } = 500;

    /// <summary>Polling fallback when no notification arrives.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a follower tries to take a projection's lease.</summary>
    public TimeSpan LeaseRetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a leader proves its lease connection alive and stamps its heartbeat.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Pause after a transient failure (database unreachable) before trying again.</summary>
    public TimeSpan FailureBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Only these projections run here (null: every async projection).</summary>
    public IReadOnlyCollection<string>? Only { get; init; }
}
