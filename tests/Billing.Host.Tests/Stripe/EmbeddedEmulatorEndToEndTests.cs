using Billing.Host.StripeEmulator;
using Billing.Ledger.EventStore;
using Billing.Ledger.Stripe;
using Billing.Ledger.Stripe.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Host.Tests.Stripe;

public sealed class EmbeddedEmulatorEndToEndTests(StripeHostFixture host) : IClassFixture<StripeHostFixture>
{
    private async Task<(long Receipts, long Processed)> ReceiptStateAsync(string objectId)
    {
        await using var command = host.DataSource.CreateCommand(
            "SELECT count(*), count(processed_at) FROM ledger.stripe_webhook_receipts WHERE object_id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = objectId });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task PollAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen within 15 s");
            await Task.Yield();
        }
    }

    [Fact]
    public async Task without_a_secret_key_the_host_charges_the_embedded_emulator_over_http_and_receives_and_processes_its_signed_webhook()
    {
        var client = host.Services.GetRequiredService<StripeClient>();
        Assert.Equal(host.Emulator.BaseUrl, client.Options.BaseUrl);
        var customer = await client.CreateCustomerAsync(new CustomerCreate("ops@acme.test", "Acme", new Dictionary<string, string> { ["tenant_id"] = "acme" }), IdempotencyKeys.Customer("acme-e2e"));

        var outcome = await client.ChargeOffSessionAsync(
            new OffSessionCharge(9900, "eur", customer.Id, "pm_card_visa", Metadata: new Dictionary<string, string> { ["tenant_id"] = "acme", ["invoice_id"] = "inv_e2e" }),
            IdempotencyKeys.Charge("inv_e2e", 1));
        var intent = Assert.IsType<ChargeOutcome.Succeeded>(outcome).PaymentIntent;
        // Delivered by the emulator over HTTP, recorded, then processed by the Host's job workers.
        await PollAsync(async () => await ReceiptStateAsync(intent.Id) == (1L, 1L), "the payment_intent.succeeded webhook being recorded and processed");

        Assert.Single(host.Emulator.Charges, c => c.PaymentIntentId == intent.Id);
        Assert.Contains(host.Emulator.Webhooks.Deliveries, d => d.Type == "payment_intent.succeeded" && d.StatusCode == 200);
    }

    [Fact]
    public async Task out_of_order_and_duplicated_deliveries_are_recorded_once_and_a_dispute_arriving_before_its_payment_is_flagged_unmatched()
    {
        await using var emulator = await StripeEmulator.StripeEmulator.StartAsync(new StripeEmulatorOptions
        {
            Delivery = WebhookDeliveryMode.Manual,
            WebhookSecret = StripeHostFixture.NextSecret,
            WebhookEndpoint = new Uri(host.BaseAddress, "/v1/billing/webhook"),
        });
        var client = new StripeClient(new HttpClient(), new StripeOptions { SecretKey = "sk_test_ooo", BaseUrl = emulator.BaseUrl, Retry = EmulatorFixture.FastRetries },
            Microsoft.Extensions.Logging.Abstractions.NullLogger<StripeClient>.Instance);
        var customer = await client.CreateCustomerAsync(new CustomerCreate(null, "Initech", new Dictionary<string, string> { ["tenant_id"] = "initech" }), "customer:initech-ooo");
        var paid = Assert.IsType<ChargeOutcome.Succeeded>(await client.ChargeOffSessionAsync(
            new OffSessionCharge(500, "usd", customer.Id, "pm_card_createDispute", Metadata: new Dictionary<string, string> { ["tenant_id"] = "initech" }), "charge:inv_ooo:attempt:1")).PaymentIntent;
        var processor = host.Services.GetRequiredService<StripeWebhookProcessor>();

        // Newest first: the dispute (no metadata) arrives before the payment that links its charge.
        var statuses = await emulator.Webhooks.DeliverPendingAsync(newestFirst: true);
        var replay = await emulator.Webhooks.DeliverCopiesAsync(emulator.Webhooks.EventsOfType("payment_intent.succeeded").Single().Id, 5);
        await host.Services.GetRequiredService<StripeWebhookDispatcher>().DispatchAllAsync(default);
        await processor.ProcessPendingAsync(100, default);
        var dispute = emulator.Webhooks.EventsOfType("charge.dispute.created").Single();

        Assert.All(statuses.Concat(replay), s => Assert.Equal(200, s));
        Assert.Equal((1L, 1L), await ReceiptStateAsync(paid.Id));
        var store = host.Services.GetRequiredService<EventStore>();
        var early = await store.ReadStreamAsync(StripeWebhookStreams.UnmatchedTenant, StripeWebhookStreams.StreamId(dispute.Id));
        Assert.Equal("flagged", Assert.IsType<StripeWebhookProcessed>(early[^1].Data).Outcome);
    }

    [Fact]
    public async Task smoke_org_against_the_embedded_emulator_passes_every_step_and_reuses_the_linked_customer()
    {
        var smoke = ActivatorUtilities.CreateInstance<Billing.Host.StripeCli.StripeSmokeCheck>(host.Services);

        var report = await smoke.RunAsync("smoke-tenant", TimeSpan.FromSeconds(15), default);

        Assert.Equal(["mode", "customer", "charge", "charge listed", "webhook", "refund"], report.Select(c => c.Name));
        Assert.All(report, c => Assert.Equal(Billing.Host.StripeCli.CheckStatus.Ok, c.Status));
        var again = await smoke.RunAsync("smoke-tenant", TimeSpan.FromSeconds(15), default);
        Assert.Contains("(linked)", again.Single(c => c.Name == "customer").Detail, StringComparison.Ordinal);
    }
}
