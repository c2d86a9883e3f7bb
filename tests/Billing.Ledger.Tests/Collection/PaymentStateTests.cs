using Billing.Ledger.Collection;

namespace Billing.Ledger.Tests.Collection;

public sealed class PaymentStateTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.Parse("2026-04-01T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static PaymentAttempted Attempt(int n) => new("in_1", n, 100, "EUR", "cus_1", "pm_card_visa", "charge:in_1:attempt:" + n, At);

    private static PaymentState Fold(params object[] events) => PaymentState.Fold(events.Select((e, i) => (e, (long)i + 1)));

    [Fact]
    public void an_attempt_without_an_outcome_is_open_and_keeps_its_idempotency_key()
    {
        var state = Fold(Attempt(1));

        Assert.True(state.Open);
        Assert.Equal("charge:in_1:attempt:1", state.Current!.IdempotencyKey);
        Assert.Equal(1, state.Version);
    }

    [Fact]
    public void an_interrupted_call_keeps_the_attempt_open_but_spends_a_retry()
    {
        var state = Fold(Attempt(1), new PaymentInterrupted("in_1", 1, "503", At));

        Assert.True(state.Open);
        Assert.Equal(1, state.Retries);
        Assert.Equal(At, state.LastRetryableAt);
    }

    [Fact]
    public void a_decline_closes_the_attempt_and_only_retryable_ones_spend_retries()
    {
        var retryable = Fold(Attempt(1), new PaymentFailed("in_1", 1, "processing_error", "processing_error", "later", true, "pi_1", At));
        var final = Fold(Attempt(1), new PaymentFailed("in_1", 1, "card_declined", "generic_decline", "no", false, "pi_1", At));

        Assert.False(retryable.Open);
        Assert.Equal(1, retryable.Retries);
        Assert.False(final.Open);
        Assert.Equal(0, final.Retries);
        Assert.False(final.Finished);
    }

    [Fact]
    public void success_stop_disputes_and_refunds_are_remembered()
    {
        var state = Fold(
            Attempt(1),
            new PaymentSucceeded("in_1", 1, 100, "EUR", "pi_1", "ch_1", "collection", At),
            new InvoiceDisputed("in_1", "dp_1", "ch_1", "pi_1", 100, "EUR", "fraudulent", "needs_response", At),
            new PaymentRefunded("in_1", "rf_1", "re_1", 40, "EUR", "duplicate", At));

        Assert.True(state.Finished);
        Assert.Equal("pi_1", state.Succeeded!.PaymentIntentId);
        Assert.Contains("dp_1", state.Disputes);
        Assert.Equal("re_1", state.Refunds["rf_1"].StripeRefundId);
        Assert.Equal(4, state.Version);
    }
}
