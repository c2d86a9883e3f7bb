using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Billing.Ledger.Observability;

/// <summary>Every <c>billing_*</c> instrument, on one <see cref="Meter"/> per application (so
/// several apps in one test process do not mix their numbers). Names are already in Prometheus
/// form; the exporter adds <c>_total</c> to counters. Features that do not exist yet still
/// register their instruments, which report zero until something feeds them.</summary>
/// <remarks>Tag names are fixed by the methods below — alerts and dashboards depend on them.</remarks>
public sealed partial class BillingMetrics : IDisposable
{
    public const string MeterName = "Billing";

    private static readonly double[] SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly int[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    /// <summary>A database commit takes milliseconds: 0.5 ms to ~1 s, doubling.</summary>
    private static readonly double[] CommitBuckets = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024];

    private readonly Counter<long> _httpRequests;
    private readonly Histogram<double> _httpDuration;
    private readonly Counter<long> _eventsAppended;
    private readonly Counter<long> _invoices;
    private readonly Counter<long> _subscriptionsCreated;
    private readonly Counter<long> _payments;
    private readonly Counter<long> _webhookEvents;
    private readonly Counter<long> _webhookFailures;
    private readonly Histogram<int> _webhookBatches;
    private readonly Histogram<double> _webhookBatchCommit;
    private readonly Counter<long> _webhookDispatched;
    private readonly Counter<long> _dunningActions;

    public BillingMetrics()
    {
        Meter = new Meter(MeterName);
        _httpRequests = Meter.CreateCounter<long>("billing_http_requests", description: "HTTP requests by route template, method and status code.");
        _httpDuration = Meter.CreateHistogram<double>("billing_http_request_duration_seconds", "s", "HTTP request duration by route template, method and status code.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _eventsAppended = Meter.CreateCounter<long>("billing_events_appended", description: "Events appended to the ledger (idempotent retries not counted).");
        _invoices = Meter.CreateCounter<long>("billing_invoices", description: "Invoices by status (finalized, paid, failed, void) and currency.");
        _subscriptionsCreated = Meter.CreateCounter<long>("billing_subscriptions_created", description: "New subscriptions by plan.");
        _payments = Meter.CreateCounter<long>("billing_payments", description: "Payment attempts by outcome (succeeded, failed, requires_action).");
        _webhookEvents = Meter.CreateCounter<long>("billing_webhook_events", description: "Provider webhook events received, by event type.");
        _webhookFailures = Meter.CreateCounter<long>("billing_webhook_failures", description: "Webhook deliveries rejected (bad signature) or failed in processing.");
        _webhookBatches = Meter.CreateHistogram<int>("billing_webhook_batch_deliveries", description: "Deliveries per webhook recording transaction (the inbox's group commit; duplicates included).",
            tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });
        _webhookBatchCommit = Meter.CreateHistogram<double>("billing_webhook_batch_commit_seconds", "s",
            "Duration of each webhook recording transaction, from sending its batch to its durable commit (the wait a delivery has behind its batch).",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CommitBuckets });
        _webhookDispatched = Meter.CreateCounter<long>("billing_webhook_dispatched", description: "Recorded webhook events given their receipt and processing job by the dispatcher.");
        _dunningActions = Meter.CreateCounter<long>("billing_dunning_actions", description: "Dunning actions taken, by action (reminder, retry, downgrade, suspend, ...).");
        CreateGauges();
    }

    public Meter Meter { get; }

    public void HttpRequestCompleted(string route, string method, int status, TimeSpan elapsed)
    {
        var tags = new TagList { { "route", route }, { "method", method }, { "status", status.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        _httpRequests.Add(1, tags);
        _httpDuration.Record(elapsed.TotalSeconds, tags);
    }

    public void EventsAppended(long count)
    {
        if (count > 0)
        {
            _eventsAppended.Add(count);
        }
    }

    public void InvoiceRecorded(string status, string currency) => _invoices.Add(1, new TagList { { "status", status }, { "currency", currency } });

    public void SubscriptionCreated(string plan) => _subscriptionsCreated.Add(1, new KeyValuePair<string, object?>("plan", plan));

    public void PaymentAttempted(string outcome) => _payments.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void WebhookReceived(string type) => _webhookEvents.Add(1, new KeyValuePair<string, object?>("type", type));

    public void WebhookFailed() => _webhookFailures.Add(1);

    /// <summary>A verified delivery by type and result (<c>accepted</c> or <c>duplicate</c>).</summary>
    public void WebhookReceived(string type, string result) =>
        _webhookEvents.Add(1, new TagList { { "type", type }, { "result", result } });

    /// <summary>A rejected delivery or failed processing, by reason (<c>signature_mismatch</c>,
    /// <c>stale_timestamp</c>, <c>missing_header</c>, <c>invalid_payload</c>, <c>processing_error</c>, ...).</summary>
    public void WebhookFailed(string reason) => _webhookFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A webhook recording transaction committed: how many deliveries shared it and how
    /// long it took from sending to the durable commit.</summary>
    public void WebhookBatchCommitted(int deliveries, TimeSpan elapsed)
    {
        _webhookBatches.Record(deliveries);
        _webhookBatchCommit.Record(elapsed.TotalSeconds);
    }

    /// <summary>The dispatcher scheduled processing for this many recorded events.</summary>
    public void WebhooksDispatched(int events)
    {
        if (events > 0)
        {
            _webhookDispatched.Add(events);
        }
    }

    public void DunningActionTaken(string action) => _dunningActions.Add(1, new KeyValuePair<string, object?>("action", action));

    public void Dispose() => Meter.Dispose();
}
