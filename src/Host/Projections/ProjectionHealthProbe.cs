using Billing.Ledger.Observability;
using Billing.Projections;

namespace Billing.Host.Projections;

/// <summary>Projection status as <c>/health/ready</c> and <c>/metrics</c> see it: a projection led
/// by a node whose heartbeat went stale (a silently lost leader lock) or paused at a dead letter
/// is unhealthy.</summary>
internal sealed class ProjectionHealthProbe(ProjectionStatusReader reader) : IProjectionHealthProbe
{
    public async Task<IReadOnlyList<ProjectionHealth>> GetHealthAsync(CancellationToken ct)
    {
        var statuses = await reader.ReadAllAsync(ct);
        return statuses.Select(s => new ProjectionHealth(
            s.Name, s.State, s.Healthy, s.LagEvents, s.Owner, s.HeartbeatAt,
            s.PausedReason ?? (s.OpenDeadLetters > 0 ? $"{s.OpenDeadLetters} open dead letters" : null))).ToList();
    }
}
