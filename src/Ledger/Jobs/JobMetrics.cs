using System.Diagnostics.Metrics;

namespace Billing.Ledger.Jobs;

/// <summary>Job counters for the Host's /metrics (Prometheus names billing_jobs_*), tagged by job type.</summary>
public static class JobMetrics
{
    public const string MeterName = "Billing.Ledger.Jobs";

    private static readonly Meter Meter = new(MeterName);

    public static Counter<long> Completed { get; } = Meter.CreateCounter<long>("billing_jobs_completed_total", description: "Jobs completed");

    public static Counter<long> Failed { get; } = Meter.CreateCounter<long>("billing_jobs_failed_total", description: "Failed job attempts (each retry counts)");

    public static Counter<long> DeadLettered { get; } = Meter.CreateCounter<long>("billing_jobs_dead_lettered_total", description: "Jobs moved to dead letters");

    public static Histogram<double> Duration { get; } = Meter.CreateHistogram<double>("billing_job_duration_seconds", unit: "s", description: "Handler run time");
}
