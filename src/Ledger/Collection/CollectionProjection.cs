using Billing.Ledger.EventStore;

namespace Billing.Ledger.Collection;

/// <summary>Keeps rm.invoice_payments, rm.invoice_collection and rm.invoice_disputes in the
/// payment stream's append transaction. Upserts apply only when the stored version is lower, so
/// a replayed append or a rebuild converges to the same rows.</summary>
public sealed class CollectionProjection : IInlineProjection
{
    private const string PaymentSql = """
        INSERT INTO rm.invoice_payments AS p (invoice_id, tenant_id, payment_intent_id, charge_id, amount_minor, currency, attempt, recorded_from, paid_at, last_version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (invoice_id) DO UPDATE SET payment_intent_id = excluded.payment_intent_id, charge_id = excluded.charge_id,
            amount_minor = excluded.amount_minor, attempt = excluded.attempt, recorded_from = excluded.recorded_from,
            paid_at = excluded.paid_at, last_version = excluded.last_version
        WHERE p.last_version < excluded.last_version
        """;

    private const string CollectionSql = """
        INSERT INTO rm.invoice_collection AS c (invoice_id, tenant_id, status, attempts, last_code, last_message, updated_at, last_version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (invoice_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
            last_code = coalesce(excluded.last_code, c.last_code), last_message = coalesce(excluded.last_message, c.last_message),
            updated_at = excluded.updated_at, last_version = excluded.last_version
        WHERE c.last_version < excluded.last_version
        """;

    private const string DisputeSql = """
        INSERT INTO rm.invoice_disputes AS d (dispute_id, invoice_id, tenant_id, charge_id, payment_intent_id, amount_minor, currency, reason, status, opened_at, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (dispute_id) DO UPDATE SET status = excluded.status, version = excluded.version
        WHERE d.version < excluded.version
        """;

    public void Project(IReadOnlyList<PendingEvent> events, UnitOfWork unitOfWork)
    {
        foreach (var e in events)
        {
            Project(e, unitOfWork);
        }
    }

    private static void Project(PendingEvent e, UnitOfWork uow)
    {
        switch (e.Data)
        {
            case PaymentAttempted a:
                Status(uow, e, a.InvoiceId, "attempting", a.Attempt, null, null, a.At);
                break;
            case PaymentSucceeded s:
                uow.AddCommand(PaymentSql, s.InvoiceId, e.TenantId, s.PaymentIntentId, s.ChargeId, s.AmountMinor, s.Currency, s.Attempt, s.RecordedFrom, s.At, e.Version);
                Status(uow, e, s.InvoiceId, "paid", s.Attempt, null, null, s.At);
                break;
            case PaymentFailed f:
                Status(uow, e, f.InvoiceId, f.Retryable ? "retrying" : "failed", f.Attempt, f.DeclineCode ?? f.Code, f.Message, f.At);
                break;
            case PaymentInterrupted i:
                Status(uow, e, i.InvoiceId, "retrying", i.Attempt, "stripe_unavailable", i.Error, i.At);
                break;
            case PaymentCollectionStopped s:
                Status(uow, e, s.InvoiceId, "stopped", s.Attempts, s.Code, s.Reason, s.At);
                break;
            case InvoiceDisputed d:
                uow.AddCommand(DisputeSql, d.DisputeId, d.InvoiceId, e.TenantId, d.ChargeId, d.PaymentIntentId, d.AmountMinor, d.Currency, d.Reason, d.Status, d.At, e.Version);
                break;
        }
    }

    private static void Status(UnitOfWork uow, PendingEvent e, string invoiceId, string status, int attempts, string? code, string? message, DateTimeOffset at) =>
        uow.AddCommand(CollectionSql, invoiceId, e.TenantId, status, attempts, code, message, at, e.Version);
}
