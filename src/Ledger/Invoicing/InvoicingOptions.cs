namespace Billing.Ledger.Invoicing;

/// <summary>Invoicing settings (<c>Billing:Invoicing</c>): how long after a period ends late
/// events may still land on its draft, and when a finalized invoice falls due.</summary>
public sealed record InvoicingOptions(TimeSpan GracePeriod, TimeSpan PaymentTerms)
{
    public static InvoicingOptions Default { get; } = new(TimeSpan.FromHours(24), TimeSpan.FromDays(14));
}

/// <summary>What happens to a finalized invoice inside the finalizing transaction; the collection
/// job ("invoice.collect") is enqueued here so it commits with the finalization or not at all.</summary>
public interface IInvoiceFinalizationOutbox
{
    void Finalized(EventStore.UnitOfWork unitOfWork, InvoiceState invoice, DateTimeOffset now);
}

public enum CloseOutcome
{
    Drafted,
    Recomputed,
    Finalized,
    Unchanged,
}

public sealed record CloseResult(string TenantId, string Period, string InvoiceId, CloseOutcome Outcome, string Status, string? Number, long TotalMinor, string Currency);
