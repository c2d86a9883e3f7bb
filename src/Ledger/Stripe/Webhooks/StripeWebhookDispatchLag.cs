using Billing.Ledger.Observability;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Before a scrape, counts the acknowledged webhook events after the dispatcher's
/// checkpoint (<c>billing_webhook_dispatch_lag_events</c>). A primary-key range scan from the
/// checkpoint, stopped at 100,000 events so a dispatcher that has been failing for long does not
/// make every scrape slow.</summary>
public sealed class StripeWebhookDispatchLag(EventStore.EventStore store) : IMetricsRefresher
{
    public const int CountedUpTo = 100_000;

    private const string LagSql = """
        SELECT count(*) FROM (
            SELECT 1 FROM ledger.events e
             WHERE e.global_position > (SELECT position FROM ledger.stripe_webhook_dispatch) AND e.type = $1
             LIMIT $2) AS lag
        """;

    public async Task RefreshAsync(BillingMetrics metrics, CancellationToken ct)
    {
        await using var command = store.DataSource.CreateCommand(LagSql);
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = store.Registry.WireNameOf(typeof(StripeWebhookReceived)) });
        command.Parameters.Add(new Npgsql.NpgsqlParameter<int> { TypedValue = CountedUpTo });
        metrics.ReportWebhookDispatchLag((long)(await command.ExecuteScalarAsync(ct))!);
    }
}
