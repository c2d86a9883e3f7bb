using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using static Billing.Ledger.Tests.Stripe.WebhookTestSupport;

namespace Billing.Ledger.Tests.Stripe;

/// <summary>Processing claimed webhook jobs as one batch: one transaction for all, each event
/// still applied exactly once, and an event that fails does not hold the others back.</summary>
public sealed class StripeWebhookBatchProcessingTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Billing.Ledger.EventStore.EventStore _store = db.CreateStore();

    /// <summary>Throws for one event, every time: a poison event.</summary>
    private sealed class PoisonApplier(string stripeEventId) : IStripeWebhookApplier
    {
        public Task<WebhookApplication?> ApplyAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct) =>
            context.StripeEventId == stripeEventId ? throw new InvalidOperationException("poison event") : Task.FromResult<WebhookApplication?>(null);
    }

    private async Task<List<string>> AcceptAsync(int count)
    {
        await using var inbox = new StripeWebhookInbox(_store, new StripeTenantResolver(db.DataSource), new StripeWebhookJobQueue(), TimeProvider.System, NullLogger<StripeWebhookInbox>.Instance);
        var ids = Enumerable.Range(0, count).Select(_ => NewEventId()).ToList();
        await Task.WhenAll(ids.Select(id => inbox.AcceptAsync(Event(id, "payment_intent.succeeded", PaymentIntent("pi_" + id, "acme", latestCharge: "ch_" + id)), new EventMetadata("corr-" + id), default)));
        return ids;
    }

    private Task<long> Count(string sql, string id) => CountAsync(db.DataSource, sql, id);

    [Fact]
    public async Task a_batch_applies_each_event_once_and_a_failing_event_is_retried_alone()
    {
        var ids = await AcceptAsync(8);
        var poison = ids[3];
        var worker = new JobWorker(db.DataSource, [new StripeWebhookJobHandler(Processor(_store, new PoisonApplier(poison)))]);

        await worker.DrainAsync(default);

        foreach (var id in ids.Where(i => i != poison))
        {
            var stream = await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(id));
            Assert.Equal(2, stream.Count);
            Assert.Equal("corr-" + id, stream[1].Metadata.CorrelationId);
            Assert.Equal(1, await Count("SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1 AND processed_at IS NOT NULL", id));
            Assert.Equal(1, await Count("SELECT count(*) FROM ledger.stripe_links WHERE stripe_id = 'ch_' || $1 AND tenant_id = 'acme'", id));
            Assert.Equal(1, await Count("SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1 AND state = 'completed' AND attempts = 1", StripeWebhookJobQueue.DedupeKey(id)));
        }

        // The poison event failed one attempt on its own, wrote nothing and waits for its retry.
        Assert.Single(await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(poison)));
        Assert.Equal(1, await Count("SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1 AND processed_at IS NULL", poison));
        Assert.Equal(1, await Count("SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1 AND state = 'pending' AND attempts = 1 AND last_error LIKE '%poison event%'", StripeWebhookJobQueue.DedupeKey(poison)));
    }

    [Fact]
    public async Task jobs_for_events_processed_already_complete_in_a_batch_without_writing_again()
    {
        var ids = await AcceptAsync(4);
        var worker = new JobWorker(db.DataSource, [new StripeWebhookJobHandler(Processor(_store))]);
        await worker.DrainAsync(default);

        var rerun = _store.BeginUnitOfWork();
        foreach (var id in ids)
        {
            rerun.Enqueue(JobRequest.For(StripeWebhookProcessor.JobType, new StripeWebhookWork(id, "acme"), "acme", dedupeKey: "batch-rerun:" + id));
        }

        await rerun.CommitAsync();
        await worker.DrainAsync(default);

        foreach (var id in ids)
        {
            Assert.Equal(2, (await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(id))).Count);
            Assert.Equal(1, await Count("SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1 AND state = 'completed'", "batch-rerun:" + id));
        }
    }
}
