namespace Billing.Ledger.Invoicing;

/// <summary>An invoice as its stream tells it.</summary>
public sealed record InvoiceState(
    InvoiceDraft Draft,
    string Status,
    string? Number = null,
    DateTimeOffset? FinalizedAt = null,
    DateTimeOffset? DueAt = null,
    long PaidMinor = 0,
    long RefundedMinor = 0,
    long CreditedMinor = 0)
{
    public long AmountDueMinor => Status is InvoiceStatuses.Open or InvoiceStatuses.Uncollectible
        ? Math.Max(0, Draft.TotalMinor - PaidMinor - CreditedMinor)
        : 0;

    public bool IsFinal => Status != InvoiceStatuses.Draft;
}

public abstract record InvoiceCommand(DateTimeOffset Now, string Actor, string Reason);

public sealed record DraftInvoice(InvoiceDraft Draft, DateTimeOffset Now, string Actor, string Reason) : InvoiceCommand(Now, Actor, Reason);

public sealed record FinalizeInvoice(string Number, TimeSpan PaymentTerms, DateTimeOffset Now, string Actor, string Reason) : InvoiceCommand(Now, Actor, Reason);

public sealed record MarkInvoicePaid(long AmountMinor, string? PaymentReference, DateTimeOffset Now, string Actor, string Reason) : InvoiceCommand(Now, Actor, Reason);

public sealed record RefundInvoice(string RefundId, long AmountMinor, DateTimeOffset Now, string Actor, string Reason) : InvoiceCommand(Now, Actor, Reason);

public sealed record MarkInvoiceUncollectible(DateTimeOffset Now, string Actor, string Reason) : InvoiceCommand(Now, Actor, Reason);

public sealed record VoidInvoice(DateTimeOffset Now, string Actor, string Reason) : InvoiceCommand(Now, Actor, Reason);

public sealed record IssueCreditNote(string CreditNoteId, long AmountMinor, DateTimeOffset Now, string Actor, string Reason) : InvoiceCommand(Now, Actor, Reason);

/// <summary>Pure decisions for the invoice stream: draft → open (finalized) → paid /
/// partially_refunded / refunded / uncollectible / void, each by an event with actor and reason.</summary>
public static partial class InvoiceDecider
{
    public static IReadOnlyList<object> Decide(InvoiceCommand command, InvoiceState? state)
    {
        if (string.IsNullOrWhiteSpace(command.Reason) || string.IsNullOrWhiteSpace(command.Actor))
        {
            throw new InvoiceRejected("reason_required", "Every invoice change needs an actor and a reason.");
        }

        return (command, state) switch
        {
            (DraftInvoice c, null) => [new InvoiceDrafted(c.Draft)],
            (DraftInvoice c, { Status: InvoiceStatuses.Draft }) => c.Draft with { DraftedAt = state.Draft.DraftedAt } == state.Draft ? [] : [new InvoiceDraftRecomputed(c.Draft)],
            (_, null) => throw new InvoiceRejected("invoice_not_found", "The invoice does not exist."),
            (DraftInvoice, _) => throw Frozen(state),
            (FinalizeInvoice c, { Status: InvoiceStatuses.Draft }) => [new InvoiceFinalized(state.Draft.InvoiceId, c.Number, c.Now, c.Now + c.PaymentTerms, c.Actor, c.Reason)],
            (MarkInvoicePaid c, { Status: InvoiceStatuses.Open or InvoiceStatuses.Uncollectible }) => Pay(c, state),
            (RefundInvoice c, { Status: InvoiceStatuses.Paid or InvoiceStatuses.PartiallyRefunded }) => Refund(c, state),
            (MarkInvoiceUncollectible c, { Status: InvoiceStatuses.Open }) => [new InvoiceMarkedUncollectible(state.Draft.InvoiceId, c.Now, c.Actor, c.Reason)],
            (VoidInvoice c, { Status: InvoiceStatuses.Draft or InvoiceStatuses.Open or InvoiceStatuses.Uncollectible }) when state.PaidMinor == 0 =>
                [new InvoiceVoided(state.Draft.InvoiceId, c.Now, c.Actor, c.Reason)],
            (IssueCreditNote c, { IsFinal: true, Status: not InvoiceStatuses.Void }) => CreditNote(c, state),
            _ => throw new InvoiceRejected("invalid_transition", $"{command.GetType().Name} is not allowed on a {state.Status} invoice."),
        };
    }

    private static InvoiceRejected Frozen(InvoiceState state) =>
        new("invoice_final", $"Invoice {state.Number} is final; correct it with a credit note or an adjustment on a later invoice.");

    private static IReadOnlyList<object> Pay(MarkInvoicePaid c, InvoiceState state) =>
        c.AmountMinor != state.AmountDueMinor
            ? throw new InvoiceRejected("amount_mismatch", $"The amount due is {state.AmountDueMinor}, not {c.AmountMinor}.")
            : [new InvoicePaid(state.Draft.InvoiceId, c.AmountMinor, c.Now, c.Actor, c.Reason, c.PaymentReference)];

    private static IReadOnlyList<object> Refund(RefundInvoice c, InvoiceState state)
    {
        var refundable = state.PaidMinor - state.RefundedMinor;
        if (c.AmountMinor <= 0 || c.AmountMinor > refundable)
        {
            throw new InvoiceRejected("invalid_amount", $"A refund must be between 1 and {refundable}.");
        }

        return [new InvoiceRefunded(state.Draft.InvoiceId, c.RefundId, c.AmountMinor, c.AmountMinor == refundable, c.Now, c.Actor, c.Reason)];
    }

    private static IReadOnlyList<object> CreditNote(IssueCreditNote c, InvoiceState state)
    {
        var creditable = state.Draft.TotalMinor - state.CreditedMinor;
        if (c.AmountMinor <= 0 || c.AmountMinor > creditable)
        {
            throw new InvoiceRejected("invalid_amount", $"A credit note must be between 1 and {creditable}.");
        }

        var applied = Math.Min(c.AmountMinor, state.AmountDueMinor);
        return [new InvoiceCreditNoteIssued(state.Draft.InvoiceId, c.CreditNoteId, c.AmountMinor, applied, c.AmountMinor - applied, c.Now, c.Actor, c.Reason)];
    }
}
