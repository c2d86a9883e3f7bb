using Billing.Ledger.Observability;
using Npgsql;

namespace Billing.Host.Health;

/// <summary>Readiness checks that depend on areas plugging in a probe; "not configured" until one
/// is registered. A probe that fails makes its check <c>error</c> (readiness degraded).</summary>
internal static class HealthChecks
{
    public static async Task<JobsCheck> JobsAsync(IJobQueueProbe? probe, CancellationToken ct)
    {
        if (probe is null)
        {
            return new JobsCheck(HealthStatus.NotConfigured);
        }

        try
        {
            return JobsCheck.From(await probe.GetHealthAsync(ct));
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return new JobsCheck("error", Error: ex.GetType().Name);
        }
    }

    public static async Task<ProjectionsCheck> ProjectionsAsync(IProjectionHealthProbe? probe, long lagThreshold, CancellationToken ct)
    {
        if (probe is null)
        {
            return new ProjectionsCheck(HealthStatus.NotConfigured, []);
        }

        try
        {
            var projections = await probe.GetHealthAsync(ct);
            var status = projections.Any(p => !p.Healthy) ? "stopped"
                : projections.Any(p => p.LagEvents > lagThreshold) ? "lagging"
                : HealthStatus.Ok;
            return new ProjectionsCheck(status, projections);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return new ProjectionsCheck("error", [], ex.GetType().Name);
        }
    }
}
