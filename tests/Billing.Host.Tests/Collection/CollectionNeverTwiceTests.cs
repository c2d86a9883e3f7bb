using Billing.Ledger.Collection;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Stripe;

namespace Billing.Host.Tests.Collection;

/// <summary>Never two charges for one invoice: faults, crashes, races and late jobs, each
/// checked against the emulator's own charge ledger.</summary>
public sealed class CollectionNeverTwiceTests(CollectionFixture world) : IClassFixture<CollectionFixture>
{
    [Fact]
    public async Task a_500_then_success_yields_exactly_one_charge()
    {
        var tenant = await world.TenantAsync("pm_card_visa");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 3_100);
        world.Emulator.Faults.FailNext(1);

        await world.Worker().DrainAsync(default);

        Assert.Single(world.ChargesOf(tenant));
        Assert.Equal(InvoiceStatuses.Paid, (await world.InvoiceAsync(tenant, invoiceId)).Status);
    }

    [Fact]
    public async Task stripe_down_for_a_while_then_back_pays_the_invoice_with_one_charge_on_the_same_attempt()
    {
        var tenant = await world.TenantAsync("pm_card_visa");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 7_700);
        world.Emulator.Faults.BeginOutage();
        try
        {
            await world.Worker().DrainAsync(default);
        }
        finally
        {
            world.Emulator.Faults.EndOutage();
        }

        var during = await world.PaymentEventsAsync(tenant, invoiceId);
        Assert.IsType<PaymentInterrupted>(during[^1]);
        Assert.Empty(world.ChargesOf(tenant));

        world.Clock.Advance(world.Options.RetryDelay);
        await world.Worker().DrainAsync(default);

        var charge = Assert.Single(world.ChargesOf(tenant));
        Assert.Equal(IdempotencyKeys.Charge(invoiceId, 1), charge.IdempotencyKey);
        Assert.Single((await world.PaymentEventsAsync(tenant, invoiceId)).OfType<PaymentAttempted>());
        Assert.Equal(InvoiceStatuses.Paid, (await world.InvoiceAsync(tenant, invoiceId)).Status);
    }

    [Fact]
    public async Task a_worker_that_dies_after_charging_is_rerun_with_the_same_idempotency_key_and_charges_once()
    {
        var tenant = await world.TenantAsync("pm_card_visa");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 5_000);

        await world.Worker(world.Client(new DiesAfterResponse())).DrainAsync(default);
        Assert.Single(world.ChargesOf(tenant));
        Assert.Equal(InvoiceStatuses.Open, (await world.InvoiceAsync(tenant, invoiceId)).Status);

        world.Clock.Advance(TimeSpan.FromMinutes(5));
        await world.Worker().DrainAsync(default);

        var charge = Assert.Single(world.ChargesOf(tenant));
        Assert.Equal(IdempotencyKeys.Charge(invoiceId, 1), charge.IdempotencyKey);
        var succeeded = Assert.Single((await world.PaymentEventsAsync(tenant, invoiceId)).OfType<PaymentSucceeded>());
        Assert.Equal(charge.PaymentIntentId, succeeded.PaymentIntentId);
        Assert.Equal(InvoiceStatuses.Paid, (await world.InvoiceAsync(tenant, invoiceId)).Status);
    }

    [Fact]
    public async Task concurrent_runners_for_one_invoice_charge_it_once()
    {
        var tenant = await world.TenantAsync("pm_card_visa");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 6_000);
        for (var i = 0; i < 3; i++)
        {
            await world.Queue.EnqueueAsync(new Billing.Ledger.Jobs.JobRequest(InvoiceCollectionJob.JobType,
                $$"""{"tenantId":"{{tenant.TenantId}}","invoiceId":"{{invoiceId}}"}""", tenant.TenantId), default);
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => world.Worker().DrainAsync(default))));
        world.Clock.Advance(TimeSpan.FromHours(2));
        await world.Worker().DrainAsync(default);

        Assert.Single(world.ChargesOf(tenant));
        Assert.Single((await world.PaymentEventsAsync(tenant, invoiceId)).OfType<PaymentSucceeded>());
        Assert.Single((await world.InvoiceEventsAsync(tenant, invoiceId)).OfType<InvoicePaid>());
    }

    [Fact]
    public async Task a_paid_invoice_is_never_charged_again_whatever_job_arrives_later()
    {
        var tenant = await world.TenantAsync("pm_card_visa");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 1_200);
        await world.Worker().DrainAsync(default);

        await world.Queue.EnqueueAsync(new Billing.Ledger.Jobs.JobRequest(InvoiceCollectionJob.JobType,
            $$"""{"tenantId":"{{tenant.TenantId}}","invoiceId":"{{invoiceId}}"}""", tenant.TenantId), default);
        await world.Worker().DrainAsync(default);

        Assert.Single(world.ChargesOf(tenant));
        Assert.Equal(2, (await world.PaymentEventsAsync(tenant, invoiceId)).Count);
    }

    [Fact]
    public async Task an_open_attempt_found_on_record_is_resent_with_its_own_key_not_a_new_attempt()
    {
        var tenant = await world.TenantAsync("pm_card_visa");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 2_200);
        await PreAppendOpenAttemptAsync(tenant, invoiceId, 2_200);

        await world.Worker().DrainAsync(default);

        var charge = Assert.Single(world.ChargesOf(tenant));
        Assert.Equal(IdempotencyKeys.Charge(invoiceId, 1), charge.IdempotencyKey);
        Assert.Single((await world.PaymentEventsAsync(tenant, invoiceId)).OfType<PaymentAttempted>());
        Assert.Equal(InvoiceStatuses.Paid, (await world.InvoiceAsync(tenant, invoiceId)).Status);
    }

    [Fact]
    public async Task an_open_attempt_for_an_amount_no_longer_due_is_not_resent_and_collection_stops()
    {
        var tenant = await world.TenantAsync("pm_card_visa");
        var invoiceId = await world.FinalizedInvoiceAsync(tenant, 2_200);
        await PreAppendOpenAttemptAsync(tenant, invoiceId, 2_200);
        var invoice = await world.InvoiceAsync(tenant, invoiceId);
        var credit = InvoiceDecider.Decide(new IssueCreditNote("cn_1", 200, world.Clock.GetUtcNow(), "test", "goodwill"), invoice);
        var version = (await world.Store.GetStreamAsync(tenant.TenantId, InvoiceStreams.IdOf(invoiceId)))!.Version;
        await world.Store.AppendAsync(tenant.TenantId, InvoiceStreams.IdOf(invoiceId), InvoiceStreams.Type, ExpectedVersion.Exact(version), credit.Select(NewEvent.For));

        await world.Worker().DrainAsync(default);

        Assert.Empty(world.ChargesOf(tenant));
        Assert.Equal("invoice_changed", Assert.IsType<PaymentCollectionStopped>((await world.PaymentEventsAsync(tenant, invoiceId))[^1]).Code);
    }

    /// <summary>What a worker that died right after recording its attempt leaves behind.</summary>
    private async Task PreAppendOpenAttemptAsync(TestTenant tenant, string invoiceId, long amount) =>
        await world.Store.AppendAsync(tenant.TenantId, PaymentStreams.IdOf(invoiceId), PaymentStreams.Type, ExpectedVersion.NoStream,
            [NewEvent.For(new PaymentAttempted(invoiceId, 1, amount, "EUR", tenant.CustomerId, "pm_card_visa", IdempotencyKeys.Charge(invoiceId, 1), world.Clock.GetUtcNow()))]);

    /// <summary>The worker "dies" after Stripe answered: the response is lost, the charge is made.</summary>
    private sealed class DiesAfterResponse() : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var response = await base.SendAsync(request, cancellationToken);
            throw new InvalidOperationException("worker died after Stripe answered " + (int)response.StatusCode);
        }
    }
}
