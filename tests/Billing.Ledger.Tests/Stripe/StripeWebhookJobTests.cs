using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using static Billing.Ledger.Tests.Stripe.WebhookTestSupport;

namespace Billing.Ledger.Tests.Stripe;

public sealed class StripeWebhookJobTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Billing.Ledger.EventStore.EventStore _store = db.CreateStore();

    private StripeWebhookInbox JobInbox() =>
        new(_store, new StripeTenantResolver(db.DataSource), new StripeWebhookJobQueue(), TimeProvider.System, NullLogger<StripeWebhookInbox>.Instance);

    private JobWorker Worker() => new(db.DataSource, [new StripeWebhookJobHandler(Processor(_store))]);

    [Fact]
    public async Task fifty_concurrent_copies_enqueue_one_job_and_the_worker_processes_the_event_once()
    {
        var id = NewEventId();
        var body = Event(id, "payment_intent.succeeded", PaymentIntent("pi_job", "acme", "cus_job", "ch_job"));
        var inbox = JobInbox();

        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => inbox.AcceptAsync(body, new EventMetadata("corr-job"), default))));
        await Worker().DrainAsync(default);
        await Worker().DrainAsync(default);

        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1", StripeWebhookJobQueue.DedupeKey(id)));
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1 AND state = 'completed'", StripeWebhookJobQueue.DedupeKey(id)));
        var stream = await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(id));
        Assert.Equal(2, stream.Count);
        Assert.Equal("applied", Assert.IsType<StripeWebhookProcessed>(stream[1].Data).Outcome);
        Assert.Equal("corr-job", stream[1].Metadata.CorrelationId);
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_links WHERE stripe_id = 'ch_job' AND tenant_id = 'acme'"));
    }

    [Fact]
    public async Task a_second_job_for_an_already_processed_event_completes_without_writing_again()
    {
        var id = NewEventId();
        var receipt = await JobInbox().AcceptAsync(Event(id, "charge.refunded", new System.Text.Json.Nodes.JsonObject { ["id"] = "ch_rq", ["object"] = "charge", ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["tenant_id"] = "acme" } }), EventMetadata.Empty, default);
        await Worker().DrainAsync(default);

        await _store.BeginUnitOfWork().Enqueue(JobRequest.For(StripeWebhookProcessor.JobType, new StripeWebhookWork(id, receipt.TenantId), receipt.TenantId, dedupeKey: "manual-rerun:" + id)).CommitAsync();
        await Worker().DrainAsync(default);

        Assert.Equal(2, (await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(id))).Count);
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1 AND state = 'completed'", "manual-rerun:" + id));
    }
}
