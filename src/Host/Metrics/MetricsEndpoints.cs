using Billing.Host.Auth;
using Billing.Ledger.Observability;

namespace Billing.Host.Metrics;

/// <summary><c>GET /metrics</c> in the Prometheus text format. Anonymous unless
/// <c>Billing:Metrics:AllowAnonymous</c> is false, then it needs an admin or finance key.</summary>
public static partial class MetricsEndpoints
{
    public const string AllowAnonymousSetting = "Billing:Metrics:AllowAnonymous";

    public static void AddBillingMetrics(this IServiceCollection services)
    {
        services.AddSingleton<PrometheusExporter>();
        services.AddSingleton<IMetricsRefresher, ProbeMetricsRefresher>();
    }

    public static void MapMetricsEndpoints(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        var endpoint = app.MapGet("/metrics", ScrapeAsync);
        if (configuration.GetValue(AllowAnonymousSetting, true))
        {
            endpoint.AllowAnonymous();
        }
        else
        {
            endpoint.RequireAuthorization(Policies.Finance);
        }
    }

    private static async Task<IResult> ScrapeAsync(PrometheusExporter exporter, BillingMetrics metrics, IEnumerable<IMetricsRefresher> refreshers, ILogger<PrometheusExporter> logger, CancellationToken ct)
    {
        foreach (var refresher in refreshers)
        {
            try
            {
                await refresher.RefreshAsync(metrics, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A scrape must still answer when the database is down: the gauges keep their
                // last values and the failure is logged (health/ready reports the outage).
                LogRefreshFailed(logger, refresher.GetType().Name, ex);
            }
        }

        return Results.Text(exporter.Render(), PrometheusExporter.ContentType);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metrics refresher {Refresher} failed; serving its last values")]
    private static partial void LogRefreshFailed(ILogger logger, string refresher, Exception exception);
}

/// <summary>Feeds the job and projection gauges from the health probes, when those exist.</summary>
internal sealed class ProbeMetricsRefresher(IEnumerable<IJobQueueProbe> jobs, IEnumerable<IProjectionHealthProbe> projections) : IMetricsRefresher
{
    public async Task RefreshAsync(BillingMetrics metrics, CancellationToken ct)
    {
        foreach (var probe in jobs)
        {
            metrics.ReportJobs(await probe.GetHealthAsync(ct));
        }

        foreach (var probe in projections)
        {
            foreach (var projection in await probe.GetHealthAsync(ct))
            {
                metrics.ReportProjectionLag(projection.Name, projection.LagEvents);
            }
        }
    }
}
