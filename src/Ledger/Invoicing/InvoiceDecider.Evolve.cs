namespace Billing.Ledger.Invoicing;

public static partial class InvoiceDecider
{
    public static InvoiceState? Evolve(InvoiceState? state, object @event) => (state, @event) switch
    {
        (null, InvoiceDrafted e) => new InvoiceState(e.Draft, InvoiceStatuses.Draft),
        (not null, InvoiceDraftRecomputed e) => state with { Draft = e.Draft },
        (not null, InvoiceFinalized e) => state with { Status = InvoiceStatuses.Open, Number = e.Number, FinalizedAt = e.FinalizedAt, DueAt = e.DueAt },
        (not null, InvoicePaid e) => state with { Status = InvoiceStatuses.Paid, PaidMinor = state.PaidMinor + e.AmountMinor },
        (not null, InvoiceRefunded e) => state with
        {
            Status = e.Full ? InvoiceStatuses.Refunded : InvoiceStatuses.PartiallyRefunded,
            RefundedMinor = state.RefundedMinor + e.AmountMinor,
        },
        (not null, InvoiceMarkedUncollectible) => state with { Status = InvoiceStatuses.Uncollectible },
        (not null, InvoiceVoided) => state with { Status = InvoiceStatuses.Void },
        (not null, InvoiceCreditNoteIssued e) => state with { CreditedMinor = state.CreditedMinor + e.AmountMinor },
        _ => state,
    };

    public static InvoiceState? Fold(IEnumerable<object> events) => events.Aggregate((InvoiceState?)null, Evolve);
}
