using System.Diagnostics.Metrics;
using Billing.Ledger.Collection;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Observability;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;
using Billing.Ledger.Stripe;
using Microsoft.Extensions.Logging.Abstractions;

namespace Billing.Host.Tests.Collection;

public sealed class CollectionJobTests(CollectionFixture world) : IClassFixture<CollectionFixture>
{
    [Fact]
    public async Task a_finalized_invoice_is_charged_once_and_marked_paid_in_the_same_unit_of_work()
    {
        var tenant = await world.TenantAsync("pm_card_visa");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 4_200);

        await world.Worker().DrainAsync(default);

        var charge = Assert.Single(world.ChargesOf(tenant));
        Assert.Equal(4_200, charge.Amount);
        Assert.Equal(IdempotencyKeys.Charge(invoiceId, 1), charge.IdempotencyKey);
        Assert.Equal(invoiceId, charge.Metadata["invoice_id"]);
        Assert.Equal(InvoiceStatuses.Paid, (await world.InvoiceAsync(tenant, invoiceId)).Status);
        var events = await world.PaymentEventsAsync(tenant, invoiceId);
        Assert.IsType<PaymentAttempted>(events[0]);
        var succeeded = Assert.IsType<PaymentSucceeded>(events[1]);
        Assert.Equal(charge.PaymentIntentId, succeeded.PaymentIntentId);
        Assert.Equal(charge.ChargeId, succeeded.ChargeId);
        Assert.Equal(InvoiceStatuses.Paid, await world.ScalarAsync<string>("SELECT status FROM rm.invoices WHERE invoice_id = $1", invoiceId));
        Assert.Equal("paid", await world.ScalarAsync<string>("SELECT status FROM rm.invoice_collection WHERE invoice_id = $1", invoiceId));
    }

    [Fact]
    public async Task closing_a_period_through_invoicing_enqueues_collection_and_the_invoice_gets_paid()
    {
        var tenantId = "t-" + Guid.NewGuid().ToString("N")[..10];
        var customer = await world.Stripe.CreateCustomerAsync(new CustomerCreate(null, tenantId), IdempotencyKeys.Customer(tenantId));
        await world.Store.AppendAsync(tenantId, TenantStreams.IdOf(tenantId), TenantStreams.Type, Billing.Ledger.EventStore.ExpectedVersion.NoStream,
            [Billing.Ledger.EventStore.NewEvent.For(new TenantCreated(tenantId, "Close Co", "starter", "USD", "billing@close.test", "UTC", customer.Id, "pm_card_visa",
                DateTimeOffset.Parse("2026-02-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture)))]);
        var finalizable = DateTimeOffset.Parse("2026-04-02T01:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        if (world.Clock.GetUtcNow() < finalizable)
        {
            world.Clock.SetTo(finalizable);
        }

        var close = new InvoicePeriodClose(world.Store, PlanCatalogueLoader.Create(DefaultPlans.All), world.Clock, InvoicingOptions.Default, new InvoiceCollectionOutbox());
        var closed = await close.CloseAsync(tenantId, new BillingPeriod(2026, 3), "test", default);
        await world.Worker().DrainAsync(default);

        Assert.Equal(CloseOutcome.Finalized, closed.Outcome);
        var charge = Assert.Single(world.Emulator.Charges, c => c.Customer == customer.Id);
        Assert.Equal(closed.TotalMinor, charge.Amount);
        Assert.Equal(InvoiceStatuses.Paid, await world.ScalarAsync<string>("SELECT status FROM rm.invoices WHERE invoice_id = $1", closed.InvoiceId));
    }

    [Theory]
    [InlineData("pm_card_chargeDeclined", "generic_decline")]
    [InlineData("pm_card_visa_chargeDeclinedInsufficientFunds", "insufficient_funds")]
    [InlineData("pm_card_chargeDeclinedExpiredCard", "expired_card")]
    [InlineData("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc")]
    public async Task a_non_retryable_decline_stops_collection_and_hands_over_to_dunning(string paymentMethod, string declineCode)
    {
        var tenant = await world.TenantAsync(paymentMethod);
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 1_500);

        await world.Worker().DrainAsync(default);
        world.Clock.Advance(TimeSpan.FromDays(3));
        await world.Worker().DrainAsync(default);

        var events = await world.PaymentEventsAsync(tenant, invoiceId);
        Assert.Equal(3, events.Count);
        var failed = Assert.IsType<PaymentFailed>(events[1]);
        Assert.False(failed.Retryable);
        Assert.Equal(declineCode, failed.DeclineCode);
        Assert.Equal(declineCode, Assert.IsType<PaymentCollectionStopped>(events[2]).Code);
        Assert.Equal(InvoiceStatuses.Open, (await world.InvoiceAsync(tenant, invoiceId)).Status);
        Assert.Empty(world.ChargesOf(tenant));
        Assert.Equal("stopped", await world.ScalarAsync<string>("SELECT status FROM rm.invoice_collection WHERE invoice_id = $1", invoiceId));
    }

    [Fact]
    public async Task a_processing_error_is_retried_after_the_configured_delay_and_stops_when_retries_run_out()
    {
        var tenant = await world.TenantAsync("pm_card_chargeDeclinedProcessingError");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 900);

        await world.Worker().DrainAsync(default);
        Assert.Equal(2, (await world.PaymentEventsAsync(tenant, invoiceId)).Count);

        world.Clock.Advance(world.Options.RetryDelay - TimeSpan.FromMinutes(1));
        await world.Worker().DrainAsync(default);
        Assert.Equal(2, (await world.PaymentEventsAsync(tenant, invoiceId)).Count);

        for (var retry = 1; retry <= world.Options.RetryLimit; retry++)
        {
            world.Clock.Advance(world.Options.RetryDelay);
            await world.Worker().DrainAsync(default);
        }

        var events = await world.PaymentEventsAsync(tenant, invoiceId);
        var attempts = events.OfType<PaymentAttempted>().ToList();
        Assert.Equal([1, 2, 3, 4], attempts.Select(a => a.Attempt));
        Assert.Equal(4, attempts.Select(a => a.IdempotencyKey).Distinct().Count());
        Assert.All(events.OfType<PaymentFailed>(), f => Assert.True(f.Retryable));
        Assert.Equal("retries_exhausted", Assert.IsType<PaymentCollectionStopped>(events[^1]).Code);
        Assert.Empty(world.ChargesOf(tenant));
    }

    [Fact]
    public async Task a_processing_error_then_a_working_card_is_paid_on_the_retry()
    {
        var tenant = await world.TenantAsync("pm_card_chargeDeclinedProcessingError");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 2_000);
        await world.Worker().DrainAsync(default);

        await world.SetPaymentMethodAsync(tenant, "pm_card_visa");
        world.Clock.Advance(world.Options.RetryDelay);
        await world.Worker().DrainAsync(default);

        var charge = Assert.Single(world.ChargesOf(tenant));
        Assert.Equal(IdempotencyKeys.Charge(invoiceId, 2), charge.IdempotencyKey);
        Assert.Equal(InvoiceStatuses.Paid, (await world.InvoiceAsync(tenant, invoiceId)).Status);
    }

    [Fact]
    public async Task every_attempt_outcome_is_counted_in_billing_payments_total_and_settled_invoices_in_billing_invoices_total()
    {
        using var metrics = new BillingMetrics();
        var counted = new System.Collections.Concurrent.ConcurrentBag<string>();
        var invoices = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name is "billing_payments" or "billing_invoices")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            var array = tags.ToArray();
            if (instrument.Name == "billing_payments")
            {
                counted.Add(array.Single(t => t.Key == "outcome").Value as string ?? "");
            }
            else
            {
                invoices.Add(array.Single(t => t.Key == "status").Value as string ?? "");
            }
        });
        listener.Start();
        var worker = new Billing.Ledger.Jobs.JobWorker(world.DataSource,
            [new InvoiceCollectionHandler(world.Ledger, world.Stripe, world.Options, world.Clock, NullLogger<InvoiceCollectionHandler>.Instance, metrics)], world.Clock);
        await world.FinalizedInvoiceAsync(await world.TenantAsync("pm_card_visa"), 100);
        await world.FinalizedInvoiceAsync(await world.TenantAsync("pm_card_chargeDeclinedExpiredCard"), 100);
        await world.FinalizedInvoiceAsync(await world.TenantAsync("pm_card_authenticationRequired"), 100);

        await worker.DrainAsync(default);

        Assert.Equal(["failed", "requires_action", "succeeded"], counted.Order(StringComparer.Ordinal));
        Assert.Equal(["failed", "failed", "paid"], invoices.Order(StringComparer.Ordinal));
    }
}
