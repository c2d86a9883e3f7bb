namespace Billing.Ledger.Stripe.Usage;

public sealed partial class StripeUsageExport
{
    public const string UsageEventType = "usage.recorded.v1";

    private const string OpenBatchSql = """
        SELECT batch_id, from_tx_id, from_position, to_tx_id, to_position FROM ledger.stripe_usage_batches WHERE status = 'started'
        """;

    private const string LastCompletedSql = """
        SELECT to_tx_id, to_position FROM ledger.stripe_usage_batches WHERE status = 'completed'
         ORDER BY to_tx_id DESC, to_position DESC LIMIT 1
        """;

    // The newest usage event a reader may see now (never past a still-running transaction).
    private const string HeadSql = """
        SELECT tx_id, global_position FROM ledger.events
         WHERE type = 'usage.recorded.v1' AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY tx_id DESC, global_position DESC LIMIT 1
        """;

    // Usage in (from, to] per tenant, metric and UTC hour of the usage's own timestamp.
    private const string AggregateSql = """
        SELECT tenant_id, data->>'metric' AS metric,
               date_trunc('hour', (data->>'timestamp')::timestamptz, 'UTC') AS hour,
               sum((data->>'quantity')::numeric) AS quantity, count(*) AS events
          FROM ledger.events
         WHERE type = 'usage.recorded.v1'
           AND (tx_id, global_position) > ($1, $2) AND (tx_id, global_position) <= ($3, $4)
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3
        """;

    private const string InsertBatchSql = """
        INSERT INTO ledger.stripe_usage_batches (batch_id, status, from_tx_id, from_position, to_tx_id, to_position, started_at)
        VALUES ($1, 'started', $2, $3, $4, $5, $6)
        """;

    private const string ResumeBatchSql = "UPDATE ledger.stripe_usage_batches SET attempts = attempts + 1 WHERE batch_id = $1";

    private const string CompleteBatchSql = """
        UPDATE ledger.stripe_usage_batches
           SET status = 'completed', completed_at = $2, meter_events = $3, skipped_tenants = $4
         WHERE batch_id = $1 AND status = 'started'
        """;

    // The tenant's Stripe customer, as linked when the customer was created or first seen.
    private const string CustomersSql = """
        SELECT DISTINCT ON (tenant_id) tenant_id, stripe_id FROM ledger.stripe_links
         WHERE kind = 'customer' AND tenant_id = ANY ($1)
         ORDER BY tenant_id, linked_at
        """;
}
