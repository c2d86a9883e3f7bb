using Billing.Ledger.Observability;

namespace Billing.Host.Health;

/// <summary>The body of <c>GET /health/ready</c>. <see cref="Status"/> is <c>ok</c>,
/// <c>degraded</c> (serving, but something needs attention: dead letters, a stopped or lagging
/// projection, an unrecognised Stripe key) or <c>unavailable</c> (database unreachable or schema
/// behind the code: answered with 503).</summary>
public sealed record ReadinessReport(string Status, DatabaseCheck Database, SchemaCheck Schema, JobsCheck Jobs, ProjectionsCheck Projections, StripeCheck Stripe, DateTimeOffset CheckedAt);

public sealed record DatabaseCheck(string Status, string? Error = null);

public sealed record SchemaCheck(string Status, IReadOnlyList<int> Pending);

public sealed record JobsCheck(string Status, long? Queued = null, long? Scheduled = null, long? Running = null, long? Failed = null, long? Dead = null, DateTimeOffset? OldestDueAt = null, string? Error = null)
{
    public static JobsCheck From(JobQueueHealth s) =>
        new(s.Dead > 0 ? "dead letters" : "ok", s.Queued, s.Scheduled, s.Running, s.Failed, s.Dead, s.OldestDueAt);
}

public sealed record ProjectionsCheck(string Status, IReadOnlyList<ProjectionHealth> Projections, string? Error = null);

public sealed record StripeCheck(string Mode);

public static class HealthStatus
{
    public const string Ok = "ok";
    public const string Degraded = "degraded";
    public const string Unavailable = "unavailable";
    public const string NotConfigured = "not configured";
    public const string Unknown = "unknown";
}
