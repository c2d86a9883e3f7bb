using Billing.Ledger.Stripe;

namespace Billing.Host.Tests.Stripe;

public sealed class StripeClientChargeTests(EmulatorFixture fx) : IClassFixture<EmulatorFixture>
{
    private readonly StripeClient _client = fx.Client();

    private static OffSessionCharge Charge(string customer, string pm, long amount = 4200) =>
        new(amount, "EUR", customer, pm, Metadata: new Dictionary<string, string> { ["invoice_id"] = "inv_" + Guid.NewGuid().ToString("N")[..6] });

    [Fact]
    public async Task charging_pm_card_visa_succeeds_and_moves_money_once()
    {
        var customer = await fx.NewCustomerAsync(_client);

        var outcome = await _client.ChargeOffSessionAsync(Charge(customer, "pm_card_visa"), IdempotencyKeys.Charge("inv_a", 1));

        var succeeded = Assert.IsType<ChargeOutcome.Succeeded>(outcome);
        Assert.Equal("succeeded", succeeded.PaymentIntent.Status);
        Assert.Equal(4200, succeeded.PaymentIntent.Amount);
        Assert.Equal("eur", succeeded.PaymentIntent.Currency);
        var charge = Assert.Single(fx.ChargesOf(customer));
        Assert.Equal(succeeded.PaymentIntent.LatestCharge, charge.ChargeId);
        Assert.Equal("charge:inv_a:attempt:1", charge.IdempotencyKey);
    }

    [Theory]
    [InlineData("pm_card_chargeDeclined", "card_declined", "generic_decline", false)]
    [InlineData("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", false)]
    [InlineData("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card", false)]
    [InlineData("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc", false)]
    [InlineData("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error", true)]
    [InlineData("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card", false)]
    [InlineData("pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card", false)]
    [InlineData("pm_card_authenticationRequired", "authentication_required", "authentication_required", false)]
    public async Task a_declined_card_is_a_result_with_code_decline_code_and_retryability(string pm, string code, string declineCode, bool retryable)
    {
        var customer = await fx.NewCustomerAsync(_client);

        var outcome = await _client.ChargeOffSessionAsync(Charge(customer, pm), IdempotencyKeys.Charge("inv_" + pm, 1));

        var declined = Assert.IsType<ChargeOutcome.Declined>(outcome).Decline;
        Assert.Equal((code, declineCode, retryable), (declined.Code, declined.DeclineCode, declined.Retryable));
        Assert.StartsWith("pi_", declined.PaymentIntentId, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(declined.Message));
        Assert.Empty(fx.ChargesOf(customer));
    }

    [Fact]
    public async Task the_same_idempotency_key_replays_the_first_result_and_charges_once()
    {
        var customer = await fx.NewCustomerAsync(_client);
        var request = Charge(customer, "pm_card_visa");

        var first = Assert.IsType<ChargeOutcome.Succeeded>(await _client.ChargeOffSessionAsync(request, IdempotencyKeys.Charge("inv_r", 1)));
        var again = Assert.IsType<ChargeOutcome.Succeeded>(await _client.ChargeOffSessionAsync(request, IdempotencyKeys.Charge("inv_r", 1)));

        Assert.Equal(first.PaymentIntent.Id, again.PaymentIntent.Id);
        Assert.Single(fx.ChargesOf(customer));
    }

    [Fact]
    public async Task a_replayed_decline_is_the_same_decline()
    {
        var customer = await fx.NewCustomerAsync(_client);
        var request = Charge(customer, "pm_card_chargeDeclined");

        var first = Assert.IsType<ChargeOutcome.Declined>(await _client.ChargeOffSessionAsync(request, IdempotencyKeys.Charge("inv_d", 1)));
        var again = Assert.IsType<ChargeOutcome.Declined>(await _client.ChargeOffSessionAsync(request, IdempotencyKeys.Charge("inv_d", 1)));

        Assert.Equal(first.Decline, again.Decline);
    }

    [Fact]
    public async Task reusing_a_key_with_different_parameters_is_an_idempotency_error()
    {
        var customer = await fx.NewCustomerAsync(_client);
        await _client.ChargeOffSessionAsync(Charge(customer, "pm_card_visa", 100), IdempotencyKeys.Charge("inv_x", 1));

        var error = await Assert.ThrowsAsync<StripeApiException>(() => _client.ChargeOffSessionAsync(Charge(customer, "pm_card_visa", 200), IdempotencyKeys.Charge("inv_x", 1)));

        Assert.Equal((400, "idempotency_error"), (error.StatusCode, error.ErrorType));
        Assert.Single(fx.ChargesOf(customer));
    }

    [Fact]
    public async Task concurrent_requests_with_one_key_charge_once()
    {
        var customer = await fx.NewCustomerAsync(_client);
        var request = Charge(customer, "pm_card_visa");
        fx.Emulator.Faults.DelayNext(1, TimeSpan.FromMilliseconds(100));
        // Retries that outlast the slow first request, so a 409 (key in use) is waited out.
        var patient = fx.Client(retry: EmulatorFixture.FastRetries with { MaxRetries = 8, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200), UseJitter = false });

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => patient.ChargeOffSessionAsync(request, IdempotencyKeys.Charge("inv_c", 1))));

        Assert.Single(results.Select(r => Assert.IsType<ChargeOutcome.Succeeded>(r).PaymentIntent.Id).Distinct());
        Assert.Single(fx.ChargesOf(customer));
    }
}
