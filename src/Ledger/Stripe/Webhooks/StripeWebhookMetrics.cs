using System.Diagnostics.Metrics;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Webhook counters (names from the operators' runbooks; exposed by the Host's
/// Prometheus endpoint, which listens to <see cref="MeterName"/>).</summary>
public static class StripeWebhookMetrics
{
    public const string MeterName = "Billing.Ledger.Stripe";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Deliveries that passed verification, by event type and result (accepted | duplicate).</summary>
    public static Counter<long> Events { get; } = Meter.CreateCounter<long>("billing_webhook_events_total", description: "Verified Stripe webhook deliveries by type and result");

    /// <summary>Deliveries rejected (bad signature, stale, missing header, not an event) and
    /// processing failures, by reason.</summary>
    public static Counter<long> Failures { get; } = Meter.CreateCounter<long>("billing_webhook_failures_total", description: "Rejected Stripe webhook deliveries and failed processing, by reason");

    /// <summary>Processed events by type and outcome (applied | ignored | flagged).</summary>
    public static Counter<long> Processed { get; } = Meter.CreateCounter<long>("billing_webhook_processed_total", description: "Processed Stripe webhook events by type and outcome");

    public static void Rejected(string reason) => Failures.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
