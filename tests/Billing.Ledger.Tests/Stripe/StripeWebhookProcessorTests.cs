using System.Text.Json.Nodes;
using Billing.Ledger.EventStore;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Testing;
using static Billing.Ledger.Tests.Stripe.WebhookTestSupport;

namespace Billing.Ledger.Tests.Stripe;

public sealed class StripeWebhookProcessorTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly Billing.Ledger.EventStore.EventStore _store = db.CreateStore();

    public async Task InitializeAsync()
    {
        await using var command = db.DataSource.CreateCommand(TableWebhookQueue.CreateSql);
        await command.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static Task Commit(UnitOfWork uow, CancellationToken ct) => uow.CommitAsync(ct);

    private async Task<StripeWebhookWork> RecordAsync(string type, JsonObject dataObject)
    {
        var id = NewEventId();
        var receipt = await Inbox(_store).AcceptAsync(Event(id, type, dataObject), EventMetadata.Empty, default);
        await Dispatcher(_store).DispatchAllAsync(default);
        return new StripeWebhookWork(id, receipt.TenantId);
    }

    private async Task<StripeWebhookProcessed> ProcessedOf(StripeWebhookWork work)
    {
        var events = await _store.ReadStreamAsync(work.TenantId, StripeWebhookStreams.StreamId(work.StripeEventId));
        return Assert.IsType<StripeWebhookProcessed>(events[^1].Data);
    }

    [Fact]
    public async Task an_event_is_processed_once_and_a_second_run_is_skipped_without_writing()
    {
        var work = await RecordAsync("payment_intent.succeeded", PaymentIntent("pi_once", "acme", "cus_once", "ch_once"));
        var processor = Processor(_store);

        var first = await processor.ProcessAsync(work, EventMetadata.Empty, Commit, default);
        var second = await processor.ProcessAsync(work, EventMetadata.Empty, Commit, default);

        Assert.Equal(WebhookOutcome.Applied, first!.Outcome);
        Assert.Null(second);
        Assert.Equal(2, (await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(work.StripeEventId))).Count);
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1 AND outcome = 'applied' AND processed_at IS NOT NULL", work.StripeEventId));
    }

    [Fact]
    public async Task concurrent_runs_of_one_event_apply_it_once()
    {
        var work = await RecordAsync("payment_intent.succeeded", PaymentIntent("pi_race", "acme"));
        var processor = Processor(_store);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => processor.ProcessAsync(work, EventMetadata.Empty, Commit, default))));

        Assert.Single(results, r => r is not null);
        Assert.Equal(2, (await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(work.StripeEventId))).Count);
    }

    [Fact]
    public async Task an_unknown_event_type_is_recorded_as_ignored_not_a_crash()
    {
        var work = await RecordAsync("radar.early_fraud_warning.created", new JsonObject { ["id"] = "issfr_1", ["object"] = "radar.early_fraud_warning", ["metadata"] = new JsonObject { ["tenant_id"] = "acme" } });

        var result = await Processor(_store).ProcessAsync(work, EventMetadata.Empty, Commit, default);

        Assert.Equal(WebhookOutcome.Ignored, result!.Outcome);
        Assert.Equal("ignored", (await ProcessedOf(work)).Outcome);
    }

    [Fact]
    public async Task a_handled_event_for_an_object_we_never_created_is_flagged()
    {
        var work = await RecordAsync("charge.refunded", new JsonObject { ["id"] = "ch_stranger", ["object"] = "charge", ["customer"] = "cus_stranger" });

        var result = await Processor(_store).ProcessAsync(work, EventMetadata.Empty, Commit, default);

        Assert.Equal(StripeWebhookStreams.UnmatchedTenant, work.TenantId);
        Assert.Equal(WebhookOutcome.Flagged, result!.Outcome);
        Assert.Contains("never created", (await ProcessedOf(work)).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_processed_payment_links_its_charge_so_a_later_dispute_without_metadata_finds_the_tenant()
    {
        var paid = await RecordAsync("payment_intent.succeeded", PaymentIntent("pi_disp", "initech", "cus_disp", "ch_disp"));
        await Processor(_store).ProcessAsync(paid, EventMetadata.Empty, Commit, default);

        var dispute = await RecordAsync("charge.dispute.created", new JsonObject { ["id"] = "dp_1", ["object"] = "dispute", ["charge"] = "ch_disp", ["payment_intent"] = "pi_disp", ["metadata"] = new JsonObject() });

        Assert.Equal("initech", dispute.TenantId);
    }

    [Fact]
    public async Task a_dispute_that_arrived_before_its_payment_is_flagged_with_the_tenant_it_now_resolves_to()
    {
        var dispute = await RecordAsync("charge.dispute.created", new JsonObject { ["id"] = "dp_early", ["object"] = "dispute", ["charge"] = "ch_early", ["metadata"] = new JsonObject() });
        var paid = await RecordAsync("payment_intent.succeeded", PaymentIntent("pi_early", "umbrella", "cus_early", "ch_early"));
        var processor = Processor(_store);
        await processor.ProcessAsync(paid, EventMetadata.Empty, Commit, default);

        var result = await processor.ProcessAsync(dispute, EventMetadata.Empty, Commit, default);

        Assert.Equal(StripeWebhookStreams.UnmatchedTenant, dispute.TenantId);
        Assert.Equal(WebhookOutcome.Flagged, result!.Outcome);
        Assert.Contains("now resolves to tenant umbrella", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task effects_of_an_applier_commit_with_the_processed_marker_or_not_at_all()
    {
        var work = await RecordAsync("invoice.paid", new JsonObject { ["id"] = "in_1", ["object"] = "invoice", ["metadata"] = new JsonObject { ["tenant_id"] = "acme" } });
        var failing = Processor(_store, new FailingApplier());

        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => failing.ProcessAsync(work, EventMetadata.Empty, Commit, default));

        Assert.Single(await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(work.StripeEventId)));
        Assert.Equal(0, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1 AND processed_at IS NOT NULL", work.StripeEventId));
        Assert.Equal(WebhookOutcome.Applied, (await Processor(_store).ProcessAsync(work, EventMetadata.Empty, Commit, default))!.Outcome);
    }

    /// <summary>Adds a write that fails at commit, as a broken domain handler would.</summary>
    private sealed class FailingApplier : IStripeWebhookApplier
    {
        public Task<WebhookApplication?> ApplyAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct)
        {
            uow.AddCommand("SELECT 1 / 0");
            return Task.FromResult<WebhookApplication?>(new WebhookApplication(WebhookOutcome.Applied, "would pay invoice"));
        }
    }
}
