namespace Billing.Projections.Daemon;

/// <summary>Tuning of the async daemon. Defaults suit a Host: takeover of a dead node's
/// projections within ~2 s, a poll every 2 s in case a notification is missed.</summary>
public sealed record ProjectionDaemonOptions
{
    /// <summary>Identifies this process in <c>ledger.projection_state.owner_node</c>.</summary>
    public string NodeId { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    public int PageSize { get; init; } = 500;

    /// <summary>Once caught up, the agent reads its next page no sooner than this after it
    /// started the last one. While events keep arriving (a webhook storm, an import) a page then
    /// carries what arrived in this interval instead of the handful that committed during the
    /// previous page's own round trips: each page costs about ten round trips and a commit, and
    /// an agent that re-read the log the moment it caught up spent them every few milliseconds.
    /// A full page is followed at once; zero reads again as soon as woken.</summary>
    public TimeSpan CatchUpInterval { get; init; } = TimeSpan.FromMilliseconds(100);

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
