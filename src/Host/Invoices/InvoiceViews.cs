namespace Billing.Host.Invoices;

public sealed record InvoiceLineView(
    int LineNo, string Kind, string Description, string? Metric, string? PlanId, string? ForPeriod,
    decimal Quantity, decimal IncludedQuantity, decimal BillableQuantity, decimal? UnitPriceMinor, long AmountMinor, string? Reference);

/// <summary>An invoice as <c>rm.invoices</c> holds it; <see cref="Version"/> is the invoice
/// stream's version (the PDF's ETag).</summary>
public sealed record InvoiceView(
    string InvoiceId, string TenantId, string? Number, string Period, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd,
    string Status, string Currency, string PlanId, string CatalogueVersion, long TotalMinor, long AmountPaidMinor,
    long AmountRefundedMinor, long AmountCreditedMinor, long AmountDueMinor, DateTimeOffset DraftedAt,
    DateTimeOffset? FinalizedAt, DateTimeOffset? DueAt, long Version)
{
    public IReadOnlyList<InvoiceLineView>? Lines { get; init; }

    public string PdfUrl => $"/v1/invoices/{InvoiceId}/pdf";
}

public sealed record InvoicePage(IReadOnlyList<InvoiceView> Items, string? NextCursor);

public sealed record InvoiceFilter(string? TenantId, string? Status, string? PeriodFrom, string? PeriodTo, int Limit, (string Period, string InvoiceId)? After);
