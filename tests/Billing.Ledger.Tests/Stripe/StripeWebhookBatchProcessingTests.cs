using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using static Billing.Ledger.Tests.Stripe.WebhookTestSupport;

namespace Billing.Ledger.Tests.Stripe;

/// <summary>Processing webhook events as one batch: one transaction for all, each event still
/// applied exactly once under its own delivery's correlation id, and an event that fails does
/// not hold the others back (it gets a job of its own).</summary>
public sealed class StripeWebhookBatchProcessingTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Billing.Ledger.EventStore.EventStore _store = db.CreateStore();

    /// <summary>Throws for one event, every time: a poison event.</summary>
    private sealed class PoisonApplier(string stripeEventId) : IStripeWebhookApplier
    {
        public Task<WebhookApplication?> ApplyAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct) =>
            context.StripeEventId == stripeEventId ? throw new InvalidOperationException("poison event") : Task.FromResult<WebhookApplication?>(null);
    }

    /// <summary>Decides fine but adds SQL that fails at commit for one event: the shared
    /// transaction of any batch holding it fails.</summary>
    private sealed class FailingCommitApplier(string stripeEventId) : IStripeWebhookApplier
    {
        public Task<WebhookApplication?> ApplyAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct)
        {
            if (context.StripeEventId == stripeEventId)
            {
                uow.AddCommand("SELECT 1 / 0");
            }

            return Task.FromResult<WebhookApplication?>(null);
        }
    }

    /// <summary>Records the events and dispatches them: one pass, so one batch job holds them all.
    /// Returns them in log order, the job's order. Events other tests left undispatched are
    /// dispatched first, so the job holds exactly these.</summary>
    private async Task<List<string>> RecordAsBatchAsync(int count)
    {
        await Dispatcher(_store, new StripeWebhookJobQueue()).DispatchAllAsync(default);
        await using var inbox = Inbox(_store);
        var ids = Enumerable.Range(0, count).Select(_ => NewEventId()).ToList();
        await Task.WhenAll(ids.Select(id => inbox.AcceptAsync(Event(id, "payment_intent.succeeded", PaymentIntent("pi_" + id, "acme", latestCharge: "ch_" + id)), new EventMetadata("corr-" + id), default)));
        Assert.Equal(count, await Dispatcher(_store, new StripeWebhookJobQueue()).DispatchAllAsync(default));
        await using var command = db.DataSource.CreateCommand(
            "SELECT data->>'stripeEventId' FROM ledger.events WHERE type = 'stripe.webhook_received.v1' AND data->>'stripeEventId' = ANY ($1) ORDER BY global_position");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string[]> { TypedValue = [.. ids] });
        var ordered = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ordered.Add(reader.GetString(0));
        }

        return ordered;
    }

    private static JobWorker Worker(Npgsql.NpgsqlDataSource dataSource, StripeWebhookProcessor processor) =>
        new(dataSource, [new StripeWebhookJobHandler(processor), new StripeWebhookBatchJobHandler(processor)]);

    private Task<long> Count(string sql, string id) => CountAsync(db.DataSource, sql, id);

    private async Task AssertProcessedAsync(string id)
    {
        var stream = await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(id));
        Assert.Equal(2, stream.Count);
        Assert.Equal("corr-" + id, stream[1].Metadata.CorrelationId);
        Assert.Equal(1, await Count("SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1 AND processed_at IS NOT NULL AND outcome IS NOT NULL", id));
        Assert.Equal(1, await Count("SELECT count(*) FROM ledger.stripe_links WHERE stripe_id = 'ch_' || $1 AND tenant_id = 'acme'", id));
    }

    [Fact]
    public async Task a_recording_batch_is_one_job_and_a_poison_event_is_split_off_to_a_job_of_its_own()
    {
        var ids = await RecordAsBatchAsync(8);
        var poison = ids[3];

        await Worker(db.DataSource, Processor(_store, new PoisonApplier(poison))).DrainAsync(default);

        Assert.Equal(1, await Count("SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1 AND state = 'completed' AND attempts = 1", StripeWebhookJobQueue.BatchDedupeKey(ids[0])));
        foreach (var id in ids.Where(i => i != poison))
        {
            await AssertProcessedAsync(id);
            Assert.Equal(0, await Count("SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1", StripeWebhookJobQueue.DedupeKey(id)));
        }

        // The poison event failed one attempt on its own, wrote nothing and waits for its retry.
        Assert.Single(await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(poison)));
        Assert.Equal(1, await Count("SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1 AND processed_at IS NULL", poison));
        Assert.Equal(1, await Count("SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1 AND state = 'pending' AND attempts = 1 AND last_error LIKE '%poison event%'", StripeWebhookJobQueue.DedupeKey(poison)));
    }

    [Fact]
    public async Task a_batch_whose_transaction_fails_is_split_into_one_job_per_event_and_only_the_bad_one_fails()
    {
        var ids = await RecordAsBatchAsync(6);
        var bad = ids[2];

        await Worker(db.DataSource, Processor(_store, new FailingCommitApplier(bad))).DrainAsync(default);

        Assert.Equal(1, await Count("SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1 AND state = 'completed'", StripeWebhookJobQueue.BatchDedupeKey(ids[0])));
        foreach (var id in ids.Where(i => i != bad))
        {
            await AssertProcessedAsync(id);
            Assert.Equal(1, await Count("SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1 AND state = 'completed'", StripeWebhookJobQueue.DedupeKey(id)));
        }

        Assert.Single(await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(bad)));
        Assert.Equal(0, await Count("SELECT count(*) FROM ledger.stripe_links WHERE stripe_id = 'ch_' || $1", bad));
        Assert.Equal(1, await Count("SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1 AND state = 'pending' AND last_error LIKE '%division by zero%'", StripeWebhookJobQueue.DedupeKey(bad)));
    }

    [Fact]
    public async Task recording_batch_jobs_claimed_together_commit_as_one_transaction()
    {
        var first = await RecordAsBatchAsync(3);
        var second = await RecordAsBatchAsync(4);

        await Worker(db.DataSource, Processor(_store)).DrainAsync(default);

        var all = first.Concat(second).ToList();
        foreach (var id in all)
        {
            await AssertProcessedAsync(id);
        }

        Assert.Equal(2, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.jobs WHERE dedupe_key = ANY ($1) AND state = 'completed' AND attempts = 1",
            (object)new[] { StripeWebhookJobQueue.BatchDedupeKey(first[0]), StripeWebhookJobQueue.BatchDedupeKey(second[0]) }));
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(DISTINCT tx_id) FROM ledger.events WHERE event_id = ANY ($1)",
            (object)all.Select(StripeWebhookStreams.ProcessedEventId).ToArray()));
    }

    [Fact]
    public async Task concurrent_deliveries_and_dispatchers_give_every_fresh_event_exactly_one_job()
    {
        await using var inbox = Inbox(_store);
        var ids = Enumerable.Range(0, 40).Select(_ => NewEventId()).ToList();
        var deliveries = ids.Concat(ids.Take(10)).Select(id => inbox.AcceptAsync(Event(id, "payment_intent.succeeded", PaymentIntent("pi_" + id, "acme", latestCharge: "ch_" + id)), new EventMetadata("corr-" + id), default));
        await Task.WhenAll(deliveries);

        // Three dispatchers at once (three Hosts), in small pages so their passes interleave.
        var small = new StripeWebhookDispatchOptions { PageSize = 7 };
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => Dispatcher(_store, new StripeWebhookJobQueue(), small).DispatchAllAsync(default))));

        await using var command = db.DataSource.CreateCommand("""
            SELECT payload->>'stripeEventId' FROM ledger.jobs WHERE type = 'stripe.webhook.process' AND payload->>'stripeEventId' = ANY ($1)
            UNION ALL
            SELECT e->>'stripeEventId' FROM ledger.jobs j, jsonb_array_elements(j.payload->'events') e
             WHERE j.type = 'stripe.webhook.process-batch' AND e->>'stripeEventId' = ANY ($1)
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string[]> { TypedValue = [.. ids] });
        var scheduled = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                scheduled.Add(reader.GetString(0));
            }
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), scheduled.Order(StringComparer.Ordinal));

        await Worker(db.DataSource, Processor(_store)).DrainAsync(default);
        foreach (var id in ids)
        {
            await AssertProcessedAsync(id);
        }
    }

    [Fact]
    public async Task jobs_for_events_processed_already_complete_in_a_batch_without_writing_again()
    {
        var ids = await RecordAsBatchAsync(4);
        var worker = Worker(db.DataSource, Processor(_store));
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
