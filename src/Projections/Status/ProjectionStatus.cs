namespace Billing.Projections;

/// <summary>Health of one projection, for <c>/health</c>, <c>/metrics</c> and operators.</summary>
/// <param name="Mode"><c>inline</c> or <c>async</c>.</param>
/// <param name="State"><c>running</c>, <c>paused</c> (stopped at a dead letter) or <c>rebuilding</c>.</param>
/// <param name="Checkpoint">Global position applied up to (async); inline projections are always at the head.</param>
/// <param name="Head">Highest committed global position.</param>
/// <param name="LagEvents">Handled events after the checkpoint (counted up to <see cref="ProjectionStatusReader.LagCountCap"/>).</param>
/// <param name="LagSeconds">Age of the oldest unapplied event; 0 when caught up.</param>
/// <param name="Owner">Node leading it (async), null when no node holds it.</param>
/// <param name="Healthy">Inline; or async, running and led by a node whose heartbeat is fresh.</param>
public sealed record ProjectionStatus(
    string Name,
    string Mode,
    string State,
    long Checkpoint,
    long Head,
    long LagEvents,
    double LagSeconds,
    string? Owner,
    DateTimeOffset? HeartbeatAt,
    bool Healthy,
    long OpenDeadLetters,
    string? PausedReason,
    string? RebuildProgress,
    DateTimeOffset? LastAppliedAt);
