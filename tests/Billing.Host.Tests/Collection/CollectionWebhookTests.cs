using System.Text.Json.Nodes;
using Billing.Ledger.Collection;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Stripe;
using Billing.Ledger.Stripe.Webhooks;

namespace Billing.Host.Tests.Collection;

/// <summary>The invoice side of Stripe's webhooks, fed with the events the emulator emitted for
/// real charges, refunds and disputes, through the real inbox and processor.</summary>
public sealed class CollectionWebhookTests(CollectionFixture world) : IClassFixture<CollectionFixture>
{
    [Fact]
    public async Task a_storm_of_50_duplicate_succeeded_events_after_a_lost_response_pays_the_invoice_once()
    {
        var tenant = await world.TenantAsync("pm_card_visa");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 8_800);
        await world.Worker(world.Client(new LosesResponse())).DrainAsync(default);
        var charge = Assert.Single(world.ChargesOf(tenant));

        var results = await world.DeliverAsync(world.EventFor("payment_intent.succeeded", charge.PaymentIntentId), copies: 50);

        Assert.Single(results, r => r is { Outcome: WebhookOutcome.Applied });
        Assert.Single((await world.PaymentEventsAsync(tenant, invoiceId)).OfType<PaymentSucceeded>(), s => s.RecordedFrom == "webhook");
        Assert.Single((await world.InvoiceEventsAsync(tenant, invoiceId)).OfType<InvoicePaid>());

        // The collection job's re-run finds the invoice paid and charges nothing.
        world.Clock.Advance(TimeSpan.FromMinutes(5));
        await world.Worker().DrainAsync(default);
        Assert.Single(world.ChargesOf(tenant));
        Assert.Single((await world.PaymentEventsAsync(tenant, invoiceId)).OfType<PaymentSucceeded>());
    }

    [Fact]
    public async Task a_payment_failed_arriving_after_succeeded_never_reopens_the_paid_invoice()
    {
        var tenant = await world.TenantAsync("pm_card_chargeDeclinedProcessingError");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 2_500);
        await world.Worker().DrainAsync(default);
        await world.SetPaymentMethodAsync(tenant, "pm_card_visa");
        world.Clock.Advance(world.Options.RetryDelay);
        await world.Worker().DrainAsync(default);
        var charge = Assert.Single(world.ChargesOf(tenant));
        var failedEvent = world.Emulator.Webhooks.EventsOfType("payment_intent.payment_failed").Single(e => e.Json.Contains(invoiceId, StringComparison.Ordinal));

        var succeeded = await world.DeliverAsync(world.EventFor("payment_intent.succeeded", charge.PaymentIntentId));
        var failed = await world.DeliverAsync(failedEvent);

        Assert.Equal(WebhookOutcome.Ignored, Assert.Single(succeeded)!.Outcome);
        Assert.Contains("already paid", succeeded[0]!.Detail, StringComparison.Ordinal);
        Assert.Equal(WebhookOutcome.Ignored, Assert.Single(failed)!.Outcome);
        Assert.Contains("never reopens", failed[0]!.Detail, StringComparison.Ordinal);
        Assert.Equal(InvoiceStatuses.Paid, (await world.InvoiceAsync(tenant, invoiceId)).Status);
        Assert.Equal(InvoiceStatuses.Paid, await world.ScalarAsync<string>("SELECT status FROM rm.invoices WHERE invoice_id = $1", invoiceId));
    }

    [Fact]
    public async Task a_dispute_marks_the_invoice_disputed_once()
    {
        var tenant = await world.TenantAsync("pm_card_createDispute");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 4_400);
        await world.Worker().DrainAsync(default);
        var charge = Assert.Single(world.ChargesOf(tenant));
        var dispute = world.Emulator.Webhooks.EventsOfType("charge.dispute.created").Single(e => e.Json.Contains(charge.ChargeId, StringComparison.Ordinal));

        var first = await world.DeliverAsync(dispute, copies: 3);

        Assert.Single(first, r => r is { Outcome: WebhookOutcome.Applied });
        var disputed = Assert.Single((await world.PaymentEventsAsync(tenant, invoiceId)).OfType<InvoiceDisputed>());
        Assert.Equal(charge.ChargeId, disputed.ChargeId);
        Assert.Equal(invoiceId, await world.ScalarAsync<string>("SELECT invoice_id FROM rm.invoice_disputes WHERE dispute_id = $1", disputed.DisputeId));
        Assert.Equal("needs_response", await world.ScalarAsync<string>("SELECT status FROM rm.invoice_disputes WHERE invoice_id = $1", invoiceId));
    }

    [Fact]
    public async Task a_refund_made_in_stripe_is_recorded_on_the_invoice_once()
    {
        var tenant = await world.TenantAsync("pm_card_visa");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 3_000);
        await world.Worker().DrainAsync(default);
        var charge = Assert.Single(world.ChargesOf(tenant));
        await world.Stripe.CreateRefundAsync(new RefundCreate(null, charge.ChargeId, 1_000, RefundReason.RequestedByCustomer), "dashboard-refund-" + invoiceId);
        var refunded = world.Emulator.Webhooks.EventsOfType("charge.refunded").Single(e => e.Json.Contains(charge.ChargeId, StringComparison.Ordinal));

        var first = Assert.Single(await world.DeliverAsync(refunded));
        Assert.Equal(WebhookOutcome.Applied, first!.Outcome);
        var again = await world.DeliverAsync(refunded);

        var refund = Assert.Single((await world.InvoiceEventsAsync(tenant, invoiceId)).OfType<InvoiceRefunded>());
        Assert.Equal(1_000, refund.AmountMinor);
        // The redelivery's work (kept by the capturing queue) is skipped: processed already.
        Assert.All(again, Assert.Null);
        Assert.Equal(InvoiceStatuses.PartiallyRefunded, (await world.InvoiceAsync(tenant, invoiceId)).Status);
    }

    [Fact]
    public async Task a_refund_whose_webhook_is_recorded_before_the_endpoint_records_it_is_counted_once()
    {
        var tenant = await world.TenantAsync("pm_card_visa");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 4_000);
        await world.Worker().DrainAsync(default);
        var refunds = new InvoiceRefunds(world.Ledger, world.Client(new WebhookFirst(world)), world.Clock);

        var result = await refunds.RefundAsync(new RefundRequest(invoiceId, 1_500, RefundReason.Duplicate, "rf_race_" + invoiceId[3..], "test"), default);

        Assert.Equal(1_500, result.AmountMinor);
        var recorded = Assert.Single((await world.InvoiceEventsAsync(tenant, invoiceId)).OfType<InvoiceRefunded>());
        Assert.Equal(1_500, recorded.AmountMinor);
        Assert.Single((await world.PaymentEventsAsync(tenant, invoiceId)).OfType<PaymentRefunded>());
        Assert.Equal(1_500, (await world.InvoiceAsync(tenant, invoiceId)).RefundedMinor);
    }

    [Theory]
    [InlineData("invoice.paid")]
    [InlineData("invoice.payment_failed")]
    [InlineData("customer.subscription.deleted")]
    [InlineData("checkout.session.completed")]
    public async Task stripe_billing_events_are_ignored_with_a_reason_because_we_bill_from_our_own_invoices(string type)
    {
        var tenant = await world.TenantAsync("pm_card_visa");
        var json = new JsonObject
        {
            ["id"] = "evt_" + Guid.NewGuid().ToString("N")[..20],
            ["object"] = "event",
            ["type"] = type,
            ["created"] = 1_775_000_000,
            ["livemode"] = false,
            ["data"] = new JsonObject { ["object"] = new JsonObject { ["id"] = "obj_" + Guid.NewGuid().ToString("N")[..10], ["object"] = type.Split('.')[0], ["customer"] = tenant.CustomerId, ["metadata"] = new JsonObject { ["tenant_id"] = tenant.TenantId } } },
        }.ToJsonString();

        var result = Assert.Single(await world.DeliverAsync(new Billing.Host.StripeEmulator.EmulatedEvent("x", type, json, world.Clock.GetUtcNow())));

        Assert.Equal(WebhookOutcome.Ignored, result!.Outcome);
        Assert.False(string.IsNullOrWhiteSpace(result.Detail));
        Assert.Empty((await world.Store.ReadAllAsync(LogPosition.Start, 1000, new LogFilter(tenant.TenantId, ["invoice.paid.v1", "payment.succeeded.v1"]))).Events);
    }

    /// <summary>Stripe's charge.refunded webhook is processed before the refund's answer reaches us.</summary>
    private sealed class WebhookFirst(CollectionFixture world) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri!.AbsolutePath.EndsWith("/v1/refunds", StringComparison.Ordinal))
            {
                await world.DeliverAsync(world.Emulator.Webhooks.EventsOfType("charge.refunded")[^1]);
            }

            return response;
        }
    }

    /// <summary>The charge is made but its answer never reaches the worker (it then dies).</summary>
    private sealed class LosesResponse() : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var response = await base.SendAsync(request, cancellationToken);
            throw new InvalidOperationException("worker died after Stripe answered " + (int)response.StatusCode);
        }
    }
}
