using System.Text;
using System.Text.Json.Nodes;
using Billing.Ledger.Stripe;
using Billing.Ledger.Stripe.Webhooks;

namespace Billing.Host.Tests.Stripe;

public sealed class StripeClientListsAndRefundsTests(EmulatorFixture fx) : IClassFixture<EmulatorFixture>
{
    private readonly StripeClient _client = fx.Client();

    private async Task<ChargeOutcome.Succeeded> ChargeAsync(string customer, long amount, string pm = "pm_card_visa") =>
        Assert.IsType<ChargeOutcome.Succeeded>(await _client.ChargeOffSessionAsync(
            new OffSessionCharge(amount, "eur", customer, pm, Metadata: new Dictionary<string, string> { ["tenant_id"] = "acme" }),
            IdempotencyKeys.Charge(Guid.NewGuid().ToString("N"), 1)));

    [Fact]
    public async Task charges_list_newest_first_in_pages_and_the_cursor_reaches_every_one()
    {
        var customer = await fx.NewCustomerAsync(_client);
        var created = new List<string>();
        for (var i = 1; i <= 5; i++)
        {
            created.Add((await ChargeAsync(customer, i * 100)).PaymentIntent.LatestCharge!);
        }

        var first = await _client.ListChargesAsync(new StripeListQuery(2));
        var second = await _client.ListChargesAsync(new StripeListQuery(2, first.Data[^1].Id));
        var all = await _client.ListAllChargesAsync(null).Where(c => c.Customer == customer).Select(c => c.Id).ToListAsync();

        Assert.True(first.HasMore);
        Assert.Equal([created[4], created[3]], first.Data.Select(c => c.Id));
        Assert.Equal([created[2], created[1]], second.Data.Select(c => c.Id));
        Assert.Equal(Enumerable.Reverse(created), all);
    }

    [Fact]
    public async Task created_gte_excludes_older_objects_and_balance_transactions_carry_fees()
    {
        var customer = await fx.NewCustomerAsync(_client);
        var charge = await ChargeAsync(customer, 10_000);

        var future = await _client.ListChargesAsync(new StripeListQuery(100, null, DateTimeOffset.UtcNow.AddHours(1)));
        var txns = await _client.ListAllBalanceTransactionsAsync(DateTimeOffset.UtcNow.AddMinutes(-5)).ToListAsync();

        Assert.Empty(future.Data);
        var txn = Assert.Single(txns, t => t.Source == charge.PaymentIntent.LatestCharge);
        Assert.Equal((10_000, 320, 9_680), (txn.Amount, txn.Fee, txn.Net));
    }

    [Fact]
    public async Task partial_then_full_refunds_add_up_and_over_refunding_is_refused()
    {
        var customer = await fx.NewCustomerAsync(_client);
        var paid = await ChargeAsync(customer, 1000);

        var partial = await _client.CreateRefundAsync(new RefundCreate(paid.PaymentIntent.Id, Amount: 300, Reason: RefundReason.RequestedByCustomer), IdempotencyKeys.Refund("inv_1", "r1"));
        var rest = await _client.CreateRefundAsync(new RefundCreate(paid.PaymentIntent.Id), IdempotencyKeys.Refund("inv_1", "r2"));
        var error = await Assert.ThrowsAsync<StripeApiException>(() => _client.CreateRefundAsync(new RefundCreate(paid.PaymentIntent.Id, Amount: 1), IdempotencyKeys.Refund("inv_1", "r3")));

        Assert.Equal((300L, "requested_by_customer", "succeeded"), (partial.Amount, partial.Reason, partial.Status));
        Assert.Equal(700, rest.Amount);
        Assert.Equal((400, "charge_already_refunded"), (error.StatusCode, error.Code));
        var charge = (await _client.ListChargesAsync(new StripeListQuery(100))).Data.Single(c => c.Id == paid.PaymentIntent.LatestCharge);
        Assert.True(charge.Refunded);
        Assert.Equal(1000, charge.AmountRefunded);
    }

    [Fact]
    public async Task a_repeated_meter_event_identifier_is_counted_once()
    {
        var identifier = "usage:acme:api_calls:" + Guid.NewGuid().ToString("N");
        var report = new MeterEventCreate("api_calls", "cus_meter", 12.5m, identifier, DateTimeOffset.UtcNow.AddMinutes(-1));

        var first = await _client.CreateMeterEventAsync(report);
        await _client.CreateMeterEventAsync(report);

        Assert.Equal(identifier, first.Identifier);
        Assert.Equal("12.5", first.Payload["value"]);
        Assert.Equal(12.5m, Assert.Single(fx.Emulator.MeterEvents, m => m.Identifier == identifier).Value);
    }

    [Fact]
    public async Task a_meter_event_older_than_35_days_is_rejected()
    {
        var error = await Assert.ThrowsAsync<StripeApiException>(() =>
            _client.CreateMeterEventAsync(new MeterEventCreate("api_calls", "cus_meter", 1, "old:" + Guid.NewGuid(), DateTimeOffset.UtcNow.AddDays(-36))));

        Assert.Equal((400, "timestamp"), (error.StatusCode, error.Code == "parameter_invalid" ? "timestamp" : error.Code));
    }

    [Fact]
    public async Task state_changes_emit_events_signed_with_the_configured_secret()
    {
        var customer = await fx.NewCustomerAsync(_client);
        var declined = await _client.ChargeOffSessionAsync(new OffSessionCharge(500, "eur", customer, "pm_card_chargeDeclined"), IdempotencyKeys.Charge("inv_e", 1));
        var disputed = await ChargeAsync(customer, 900, "pm_card_createDispute");

        var failed = fx.Emulator.Webhooks.EventsOfType("payment_intent.payment_failed").Single(e => e.Json.Contains(customer, StringComparison.Ordinal));
        var dispute = fx.Emulator.Webhooks.EventsOfType("charge.dispute.created").Single(e => e.Json.Contains(disputed.PaymentIntent.LatestCharge!, StringComparison.Ordinal));
        var (body, header) = fx.Emulator.Webhooks.Sign(failed.Json);

        Assert.IsType<ChargeOutcome.Declined>(declined);
        Assert.True(WebhookSignature.FromSetting("whsec_test_fixture", TimeProvider.System).Verify(Encoding.UTF8.GetBytes(body), header).IsValid);
        Assert.Equal("requires_payment_method", JsonNode.Parse(failed.Json)!["data"]!["object"]!["status"]!.GetValue<string>());
        Assert.Equal(disputed.PaymentIntent.Id, JsonNode.Parse(dispute.Json)!["data"]!["object"]!["payment_intent"]!.GetValue<string>());
    }
}
