using Billing.Ledger.EventStore;

namespace Billing.Ledger.Invoicing;

/// <summary>Keeps rm.invoices, rm.invoice_lines, rm.invoice_usage and rm.tenant_balance_entries in
/// the append's transaction. Every write is guarded by the invoice stream's version
/// (<c>last_version &lt; v</c>), so a replayed append or a rebuild converges to the same rows.</summary>
public sealed partial class InvoiceProjection : IInlineProjection
{
    public static IReadOnlyCollection<string> EventTypes { get; } =
    [
        "invoice.drafted.v1", "invoice.draft_recomputed.v1", "invoice.finalized.v1", "invoice.paid.v1", "invoice.refunded.v1",
        "invoice.marked_uncollectible.v1", "invoice.voided.v1", "invoice.credit_note_issued.v1",
    ];

    public const string TruncateSql = "TRUNCATE rm.invoices, rm.invoice_lines, rm.invoice_usage, rm.tenant_balance_entries";

    public void Project(IReadOnlyList<PendingEvent> events, UnitOfWork unitOfWork)
    {
        foreach (var e in events)
        {
            Project(e, unitOfWork);
        }
    }

    private static void Project(PendingEvent e, UnitOfWork uow)
    {
        var v = e.Version;
        switch (e.Data)
        {
            case InvoiceDrafted d:
                Draft(d.Draft, v, uow);
                break;
            case InvoiceDraftRecomputed r:
                Draft(r.Draft, v, uow);
                break;
            case InvoiceFinalized f:
                uow.AddCommand(BalanceFromLinesSql, f.InvoiceId, v, e.EventId, f.FinalizedAt);
                uow.AddCommand(FinalizedSql, f.InvoiceId, v, f.Number, f.FinalizedAt, f.DueAt);
                break;
            case InvoicePaid p:
                uow.AddCommand(PaidSql, p.InvoiceId, v, p.AmountMinor, p.At);
                break;
            case InvoiceRefunded r:
                uow.AddCommand(RefundedSql, r.InvoiceId, v, r.AmountMinor, r.Full ? InvoiceStatuses.Refunded : InvoiceStatuses.PartiallyRefunded, r.At);
                break;
            case InvoiceMarkedUncollectible u:
                uow.AddCommand(StatusSql, u.InvoiceId, v, InvoiceStatuses.Uncollectible, null);
                break;
            case InvoiceVoided x:
                uow.AddCommand(StatusSql, x.InvoiceId, v, InvoiceStatuses.Void, x.At);
                break;
            case InvoiceCreditNoteIssued c:
                if (c.ToBalanceMinor > 0)
                {
                    uow.AddCommand(BalanceEntrySql, c.InvoiceId, v, e.EventId, "credit_note", c.ToBalanceMinor, c.At);
                }

                uow.AddCommand(CreditedSql, c.InvoiceId, v, c.AmountMinor, c.AppliedToDueMinor);
                break;
        }
    }

    private static void Draft(InvoiceDraft d, long v, UnitOfWork uow)
    {
        uow.AddCommand(DeleteLinesSql, d.InvoiceId, v);
        for (var i = 0; i < d.Lines.Count; i++)
        {
            var l = d.Lines[i];
            uow.AddCommand(InsertLineSql, d.InvoiceId, v, i + 1, l.Kind, l.Description, l.Metric, l.PlanId, l.ForPeriod, l.Quantity, l.IncludedQuantity, l.BillableQuantity, l.UnitPriceMinor, l.AmountMinor, l.Reference);
        }

        foreach (var u in d.Usage)
        {
            uow.AddCommand(InsertUsageSql, d.InvoiceId, v, d.TenantId, u.Period, u.Metric, u.Quantity);
        }

        uow.AddCommand(UpsertDraftSql, d.InvoiceId, v, d.TenantId, d.Period, d.PeriodStart, d.PeriodEnd, d.Currency, d.PlanId, d.CatalogueVersion, d.TotalMinor, d.DraftedAt);
    }
}
