using Billing.Ledger.Invoicing;

namespace Billing.Ledger.Tests.Invoicing;

public sealed class InvoiceDeciderTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-04-05T00:00:00Z");

    private static readonly InvoiceDraft Draft = new("in_1", "acme", "2026-03", Now.AddDays(-35), Now.AddDays(-4), "USD", "starter", "cat-1",
        [new InvoiceLine(LineKinds.BaseFee, "Starter", 2_900)], 2_900, [], [], Now.AddDays(-4));

    private static InvoiceState Given(params object[] events) => InvoiceDecider.Fold(events)!;

    private static readonly object[] Open = [new InvoiceDrafted(Draft), new InvoiceFinalized("in_1", "INV-2026-000001", Now, Now.AddDays(14), "system", "close")];

    private static T Then<T>(InvoiceCommand command, InvoiceState state) => Assert.IsType<T>(Assert.Single(InvoiceDecider.Decide(command, state)));

    private static string Fails(InvoiceCommand command, InvoiceState? state) =>
        Assert.Throws<InvoiceRejected>(() => InvoiceDecider.Decide(command, state)).Code;

    [Fact]
    public void a_final_invoice_cannot_be_redrafted() =>
        Assert.Equal("invoice_final", Fails(new DraftInvoice(Draft with { TotalMinor = 1 }, Now, "system", "close"), Given(Open)));

    [Fact]
    public void an_open_invoice_is_paid_for_exactly_the_amount_due()
    {
        Assert.Equal("amount_mismatch", Fails(new MarkInvoicePaid(100, null, Now, "stripe", "charge"), Given(Open)));
        Assert.Equal(2_900, Then<InvoicePaid>(new MarkInvoicePaid(2_900, "pi_1", Now, "stripe", "charge succeeded"), Given(Open)).AmountMinor);
    }

    [Fact]
    public void refunds_go_partial_then_full_and_never_beyond_what_was_paid()
    {
        var paid = Given([.. Open, new InvoicePaid("in_1", 2_900, Now, "stripe", "ok", "pi_1")]);
        var partial = Then<InvoiceRefunded>(new RefundInvoice("re_1", 900, Now, "key:ops", "goodwill"), paid);
        Assert.False(partial.Full);
        var afterPartial = InvoiceDecider.Evolve(paid, partial)!;
        Assert.Equal(InvoiceStatuses.PartiallyRefunded, afterPartial.Status);
        Assert.Equal("invalid_amount", Fails(new RefundInvoice("re_2", 2_001, Now, "key:ops", "too much"), afterPartial));
        var rest = Then<InvoiceRefunded>(new RefundInvoice("re_2", 2_000, Now, "key:ops", "cancel"), afterPartial);
        Assert.Equal(InvoiceStatuses.Refunded, InvoiceDecider.Evolve(afterPartial, rest)!.Status);
    }

    [Fact]
    public void a_paid_invoice_cannot_be_voided_and_every_change_needs_a_reason()
    {
        var paid = Given([.. Open, new InvoicePaid("in_1", 2_900, Now, "stripe", "ok", null)]);
        Assert.Equal("invalid_transition", Fails(new VoidInvoice(Now, "key:ops", "mistake"), paid));
        Assert.Equal("reason_required", Fails(new VoidInvoice(Now, "key:ops", " "), Given(Open)));
    }

    [Fact]
    public void a_credit_note_lowers_the_amount_due_of_an_open_invoice_and_credits_the_balance_once_paid()
    {
        var onOpen = Then<InvoiceCreditNoteIssued>(new IssueCreditNote("cn_1", 900, Now, "key:ops", "outage"), Given(Open));
        Assert.Equal((900L, 0L), (onOpen.AppliedToDueMinor, onOpen.ToBalanceMinor));
        Assert.Equal(2_000, InvoiceDecider.Evolve(Given(Open), onOpen)!.AmountDueMinor);

        var onPaid = Then<InvoiceCreditNoteIssued>(new IssueCreditNote("cn_2", 900, Now, "key:ops", "outage"), Given([.. Open, new InvoicePaid("in_1", 2_900, Now, "stripe", "ok", null)]));
        Assert.Equal((0L, 900L), (onPaid.AppliedToDueMinor, onPaid.ToBalanceMinor));
    }

    [Fact]
    public void uncollectible_then_void_is_allowed_and_void_is_terminal()
    {
        var uncollectible = Given([.. Open, new InvoiceMarkedUncollectible("in_1", Now, "system", "dunning exhausted")]);
        var voided = InvoiceDecider.Evolve(uncollectible, Then<InvoiceVoided>(new VoidInvoice(Now, "key:ops", "write-off"), uncollectible))!;
        Assert.Equal(InvoiceStatuses.Void, voided.Status);
        Assert.Equal("invalid_transition", Fails(new MarkInvoicePaid(0, null, Now, "stripe", "late"), voided));
    }
}
