using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Billing.Ledger.Observability;

public sealed partial class BillingMetrics
{
    private readonly ConcurrentDictionary<string, long> _projectionLag = new(StringComparer.Ordinal);
    private JobQueueHealth _jobs = new(0, 0, 0, 0);
    private long _subscriptionsActive;
    private long _trialsActive;
    private long _trialsExpiringSoon;
    private Func<bool>? _webhookProcessingHeld;
    private long _webhookDispatchLag;

    /// <summary>Feeds <c>billing_projection_lag_events{projection}</c>: events between the log's
    /// head and the projection's checkpoint. Called by the projection daemon, or by an
    /// <see cref="IMetricsRefresher"/> right before a scrape.</summary>
    public void ReportProjectionLag(string projection, long lagEvents) => _projectionLag[projection] = lagEvents;

    /// <summary>Feeds <c>billing_jobs{state}</c> (queued, scheduled, running, failed, dead).</summary>
    public void ReportJobs(JobQueueHealth jobs) => Volatile.Write(ref _jobs, jobs);

    /// <summary>Feeds <c>billing_subscriptions_active</c>, <c>billing_trials_active</c> and
    /// <c>billing_trials_expiring_soon</c> (trials ending within 7 days).</summary>
    public void ReportSubscriptions(long active, long trialsActive, long trialsExpiringSoon)
    {
        Interlocked.Exchange(ref _subscriptionsActive, active);
        Interlocked.Exchange(ref _trialsActive, trialsActive);
        Interlocked.Exchange(ref _trialsExpiringSoon, trialsExpiringSoon);
    }

    /// <summary>Feeds <c>billing_webhook_processing_held</c> (1 while a webhook storm holds
    /// processing back in this process, see <c>StripeWebhookStormHold</c>).</summary>
    public void WatchWebhookProcessingHold(Func<bool> held) => _webhookProcessingHeld = held;

    /// <summary>Feeds <c>billing_webhook_dispatch_lag_events</c>: acknowledged webhook events the
    /// dispatcher has not given a receipt and job yet (see <c>StripeWebhookDispatcher</c>).</summary>
    public void ReportWebhookDispatchLag(long events) => Interlocked.Exchange(ref _webhookDispatchLag, events);

    private void CreateGauges()
    {
        Meter.CreateObservableGauge("billing_projection_lag_events", ObserveLag, description: "Events the projection has yet to process, by projection.");
        Meter.CreateObservableGauge("billing_jobs", ObserveJobs, description: "Durable jobs by state: queued (due), scheduled (not due yet), running, failed (awaiting retry), dead (dead-lettered).");
        Meter.CreateObservableGauge("billing_subscriptions_active", () => Interlocked.Read(ref _subscriptionsActive), description: "Active subscriptions.");
        Meter.CreateObservableGauge("billing_trials_active", () => Interlocked.Read(ref _trialsActive), description: "Subscriptions in trial.");
        Meter.CreateObservableGauge("billing_trials_expiring_soon", () => Interlocked.Read(ref _trialsExpiringSoon), description: "Trials ending within 7 days.");
        Meter.CreateObservableGauge("billing_webhook_processing_held", () => _webhookProcessingHeld?.Invoke() == true ? 1L : 0L,
            description: "1 while a webhook storm holds this process's webhook processing back (acknowledgements first; bounded by the maximum hold).");
        Meter.CreateObservableGauge("billing_webhook_dispatch_lag_events", () => Interlocked.Read(ref _webhookDispatchLag),
            description: "Acknowledged Stripe webhook events without their receipt and processing job yet (normally under a second's worth; counted up to 100,000).");
    }

    private IEnumerable<Measurement<long>> ObserveLag() =>
        _projectionLag.Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("projection", kv.Key)));

    private IEnumerable<Measurement<long>> ObserveJobs()
    {
        var jobs = Volatile.Read(ref _jobs);
        yield return new Measurement<long>(jobs.Queued, new KeyValuePair<string, object?>("state", "queued"));
        yield return new Measurement<long>(jobs.Scheduled, new KeyValuePair<string, object?>("state", "scheduled"));
        yield return new Measurement<long>(jobs.Running, new KeyValuePair<string, object?>("state", "running"));
        yield return new Measurement<long>(jobs.Failed, new KeyValuePair<string, object?>("state", "failed"));
        yield return new Measurement<long>(jobs.Dead, new KeyValuePair<string, object?>("state", "dead"));
    }
}

/// <summary>Brings gauges up to date right before a scrape (e.g. counting jobs by state, reading
/// projection checkpoints). Register implementations in DI; <c>GET /metrics</c> runs them all.</summary>
public interface IMetricsRefresher
{
    Task RefreshAsync(BillingMetrics metrics, CancellationToken ct);
}
