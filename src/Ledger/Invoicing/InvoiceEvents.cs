using Billing.Ledger.EventStore;

namespace Billing.Ledger.Invoicing;

/// <summary>Line kinds; each maps to a GL account in the accounting export.</summary>
public static class LineKinds
{
    public const string BaseFee = "base_fee";
    public const string Usage = "usage";
    public const string LateUsage = "late_usage";
    public const string AdjustmentCharge = "adjustment_charge";
    public const string AdjustmentCredit = "adjustment_credit";
    public const string CreditBroughtForward = "credit_brought_forward";
    public const string CreditCarriedForward = "credit_carried_forward";
}

public static class InvoiceStatuses
{
    public const string Draft = "draft";
    public const string Open = "open";
    public const string Paid = "paid";
    public const string PartiallyRefunded = "partially_refunded";
    public const string Refunded = "refunded";
    public const string Uncollectible = "uncollectible";
    public const string Void = "void";
}

/// <summary>One invoice line. <see cref="AmountMinor"/> is already rounded (half away from
/// zero, once per line); the invoice total is the plain sum of line amounts.</summary>
public sealed record InvoiceLine(
    string Kind,
    string Description,
    long AmountMinor,
    string? Metric = null,
    string? PlanId = null,
    decimal Quantity = 0,
    decimal IncludedQuantity = 0,
    decimal BillableQuantity = 0,
    decimal? UnitPriceMinor = null,
    string? ForPeriod = null,
    string? Reference = null);

/// <summary>Usage quantity an invoice accounts for: its own period's, or an earlier period's
/// late usage. Late usage of period P = rollup of P − what invoices already accounted for P.</summary>
public sealed record UsageAccounted(string Period, string Metric, decimal Quantity);

/// <summary>A complete draft: everything needed to render, finalize or explain the invoice.</summary>
public sealed record InvoiceDraft(
    string InvoiceId,
    string TenantId,
    string Period,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    string Currency,
    string PlanId,
    string CatalogueVersion,
    IReadOnlyList<InvoiceLine> Lines,
    long TotalMinor,
    IReadOnlyList<UsageAccounted> Usage,
    IReadOnlyList<string> AdjustmentIds,
    DateTimeOffset DraftedAt);

/// <summary>Stream <c>invoice-{invoiceId}</c> (type <c>invoice</c>) of the tenant.</summary>
[EventType("invoice.drafted.v1")]
public sealed record InvoiceDrafted(InvoiceDraft Draft);

/// <summary>The draft was computed again during the grace period (late events arrived).</summary>
[EventType("invoice.draft_recomputed.v1")]
public sealed record InvoiceDraftRecomputed(InvoiceDraft Draft);

/// <summary>Numbered and frozen; from here on only payments, refunds, credit notes or a void
/// change it, and corrections go through adjustments on a later invoice.</summary>
[EventType("invoice.finalized.v1")]
public sealed record InvoiceFinalized(string InvoiceId, string Number, DateTimeOffset FinalizedAt, DateTimeOffset DueAt, string Actor, string Reason);

[EventType("invoice.paid.v1")]
public sealed record InvoicePaid(string InvoiceId, long AmountMinor, DateTimeOffset At, string Actor, string Reason, string? PaymentReference);

[EventType("invoice.refunded.v1")]
public sealed record InvoiceRefunded(string InvoiceId, string RefundId, long AmountMinor, bool Full, DateTimeOffset At, string Actor, string Reason);

[EventType("invoice.marked_uncollectible.v1")]
public sealed record InvoiceMarkedUncollectible(string InvoiceId, DateTimeOffset At, string Actor, string Reason);

[EventType("invoice.voided.v1")]
public sealed record InvoiceVoided(string InvoiceId, DateTimeOffset At, string Actor, string Reason);

/// <summary>A credit against a finalized invoice: <see cref="AppliedToDueMinor"/> lowers what
/// is still owed on it; the rest (<see cref="ToBalanceMinor"/>) becomes tenant credit.</summary>
[EventType("invoice.credit_note_issued.v1")]
public sealed record InvoiceCreditNoteIssued(string InvoiceId, string CreditNoteId, long AmountMinor, long AppliedToDueMinor, long ToBalanceMinor, DateTimeOffset At, string Actor, string Reason);

public static class InvoiceStreams
{
    public const string Type = "invoice";

    public static string IdOf(string invoiceId) => "invoice-" + invoiceId;

    /// <summary>One invoice per tenant and period; the id is a pure function of both.</summary>
    public static string InvoiceIdOf(string tenantId, string period) =>
        "in_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(tenantId + "\n" + period)))[..20];
}
