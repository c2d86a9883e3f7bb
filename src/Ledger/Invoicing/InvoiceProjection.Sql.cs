namespace Billing.Ledger.Invoicing;

public sealed partial class InvoiceProjection
{
    // $1 invoice id, $2 the event's stream version in every statement. Child rows are written
    // only while the invoice row is older than this event; the invoice row is written last.
    private const string Older = "NOT EXISTS (SELECT 1 FROM rm.invoices WHERE invoice_id = $1 AND last_version >= $2)";

    private const string DeleteLinesSql = $"""
        WITH gone AS (DELETE FROM rm.invoice_lines WHERE invoice_id = $1 AND {Older})
        DELETE FROM rm.invoice_usage WHERE invoice_id = $1 AND {Older}
        """;

    private const string InsertLineSql = $"""
        INSERT INTO rm.invoice_lines (invoice_id, line_no, kind, description, metric, plan_id, for_period, quantity,
                                      included_quantity, billable_quantity, unit_price_minor, amount_minor, reference)
        SELECT $1, $3::int, $4::text, $5::text, $6::text, $7::text, $8::text, $9::numeric, $10::numeric, $11::numeric, $12::numeric, $13::bigint, $14::text
         WHERE {Older}
        """;

    private const string InsertUsageSql = $"""
        INSERT INTO rm.invoice_usage (invoice_id, tenant_id, usage_period, metric, quantity)
        SELECT $1, $3::text, $4::text, $5::text, $6::numeric WHERE {Older}
        """;

    private const string UpsertDraftSql = """
        INSERT INTO rm.invoices AS i (invoice_id, last_version, tenant_id, period, period_start, period_end, status, currency,
                                      plan_id, catalogue_version, total_minor, drafted_at)
        VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, $10, $11)
        ON CONFLICT (invoice_id) DO UPDATE SET
            last_version = excluded.last_version, period_start = excluded.period_start, period_end = excluded.period_end,
            currency = excluded.currency, plan_id = excluded.plan_id, catalogue_version = excluded.catalogue_version,
            total_minor = excluded.total_minor, drafted_at = excluded.drafted_at
        WHERE i.last_version < excluded.last_version
        """;

    // Credit lines move the tenant's balance when the invoice becomes final: a brought-forward
    // line (negative) consumes credit, a carried-forward line (positive) adds it.
    private const string BalanceFromLinesSql = $"""
        INSERT INTO rm.tenant_balance_entries AS b (event_id, kind, tenant_id, invoice_id, currency, amount_minor, at)
        SELECT $3, l.kind, i.tenant_id, i.invoice_id, i.currency, l.amount_minor, $4
          FROM rm.invoice_lines l JOIN rm.invoices i USING (invoice_id)
         WHERE l.invoice_id = $1 AND l.kind IN ('credit_brought_forward', 'credit_carried_forward') AND i.last_version < $2
        ON CONFLICT (event_id, kind) DO UPDATE SET amount_minor = excluded.amount_minor
        """;

    private const string BalanceEntrySql = """
        INSERT INTO rm.tenant_balance_entries AS b (event_id, kind, tenant_id, invoice_id, currency, amount_minor, at)
        SELECT $3, $4, i.tenant_id, i.invoice_id, i.currency, $5, $6 FROM rm.invoices i WHERE i.invoice_id = $1 AND i.last_version < $2
        ON CONFLICT (event_id, kind) DO UPDATE SET amount_minor = excluded.amount_minor
        """;

    private const string FinalizedSql = """
        UPDATE rm.invoices SET last_version = $2, status = 'open', number = $3, finalized_at = $4, due_at = $5,
               amount_due_minor = total_minor
         WHERE invoice_id = $1 AND last_version < $2
        """;

    private const string PaidSql = """
        UPDATE rm.invoices SET last_version = $2, status = 'paid', amount_paid_minor = amount_paid_minor + $3,
               amount_due_minor = 0, paid_at = $4
         WHERE invoice_id = $1 AND last_version < $2
        """;

    private const string RefundedSql = """
        UPDATE rm.invoices SET last_version = $2, status = $4, amount_refunded_minor = amount_refunded_minor + $3,
               closed_at = CASE WHEN $4 = 'refunded' THEN $5 ELSE closed_at END
         WHERE invoice_id = $1 AND last_version < $2
        """;

    private const string StatusSql = """
        UPDATE rm.invoices SET last_version = $2, status = $3, closed_at = coalesce($4::timestamptz, closed_at),
               amount_due_minor = CASE WHEN $3 = 'void' THEN 0 ELSE amount_due_minor END
         WHERE invoice_id = $1 AND last_version < $2
        """;

    private const string CreditedSql = """
        UPDATE rm.invoices SET last_version = $2, amount_credited_minor = amount_credited_minor + $3,
               amount_due_minor = greatest(0, amount_due_minor - $4)
         WHERE invoice_id = $1 AND last_version < $2
        """;
}
