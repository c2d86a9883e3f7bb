using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Testing;
using static Billing.Ledger.Tests.Stripe.WebhookTestSupport;

namespace Billing.Ledger.Tests.Stripe;

public sealed class StripeWebhookJobTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Billing.Ledger.EventStore.EventStore _store = db.CreateStore();

    private StripeWebhookDispatcher JobDispatcher() => Dispatcher(_store, new StripeWebhookJobQueue());

    private StripeWebhookInbox JobInbox() => Inbox(_store, JobDispatcher());

    private JobWorker Worker() => new(db.DataSource, [new StripeWebhookJobHandler(Processor(_store))]);

    [Fact]
    public async Task fifty_concurrent_copies_enqueue_one_job_and_the_worker_processes_the_event_once()
    {
        var id = NewEventId();
        var body = Event(id, "payment_intent.succeeded", PaymentIntent("pi_job", "acme", "cus_job", "ch_job"));
        var inbox = JobInbox();

        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => inbox.AcceptAsync(body, new EventMetadata("corr-job"), default))));
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => JobDispatcher().DispatchAllAsync(default)));
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
        await JobDispatcher().DispatchAllAsync(default);
        await Worker().DrainAsync(default);

        await _store.BeginUnitOfWork().Enqueue(JobRequest.For(StripeWebhookProcessor.JobType, new StripeWebhookWork(id, receipt.TenantId), receipt.TenantId, dedupeKey: "manual-rerun:" + id)).CommitAsync();
        await Worker().DrainAsync(default);

        Assert.Equal(2, (await _store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(id))).Count);
        Assert.Equal(1, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.jobs WHERE dedupe_key = $1 AND state = 'completed'", "manual-rerun:" + id));
    }

    [Fact]
    public async Task a_dispatch_pass_schedules_exactly_the_events_whose_receipts_it_inserted()
    {
        var (old, b, c) = (NewEventId(), NewEventId(), NewEventId());
        Assert.Single(await RecordAsync([old]));

        // Three events offered, two appended (the first is the event store's idempotent no-op):
        // one batch job for the two, in log order, each keeping its request's correlation id.
        var jobs = await RecordAsync([old, b, c]);

        var (type, payload, dedupeKey, correlationId) = Assert.Single(jobs);
        Assert.Equal(StripeWebhookProcessor.BatchJobType, type);
        Assert.Equal(StripeWebhookJobQueue.BatchDedupeKey(b), dedupeKey);
        Assert.Equal("corr-" + b, correlationId);
        var work = System.Text.Json.JsonSerializer.Deserialize<StripeWebhookBatchWork>(payload, Job.JsonOptions)!;
        Assert.Equal([b, c], work.Events.Select(e => e.StripeEventId));
        Assert.Equal(["corr-" + b, "corr-" + c], work.Events.Select(e => e.CorrelationId));

        // Only duplicates: no job at all. One fresh event: a job of its own.
        Assert.Empty(await RecordAsync([b, c]));
        var d = NewEventId();
        var single = Assert.Single(await RecordAsync([c, d]));
        Assert.Equal((StripeWebhookProcessor.JobType, StripeWebhookJobQueue.DedupeKey(d)), (single.Type, single.DedupeKey));
        Assert.Equal(d, System.Text.Json.JsonSerializer.Deserialize<StripeWebhookWork>(single.Payload, Job.JsonOptions)!.StripeEventId);
    }

    [Fact]
    public async Task an_event_whose_receipt_the_previous_version_wrote_at_acceptance_gets_no_second_job()
    {
        // A Host of the previous version recorded the receipt and the job with the event; the
        // dispatcher passes the event without scheduling it again (a rolling upgrade).
        var (e, f) = (NewEventId(), NewEventId());
        await using (var receipt = db.DataSource.CreateCommand("""
            INSERT INTO ledger.stripe_webhook_receipts (stripe_event_id, type, tenant_id, stream_id, matched, livemode, stripe_created_at, received_at)
            VALUES ($1, 'charge.refunded', 'acme', $2, true, false, now(), now())
            """))
        {
            receipt.Parameters.Add(new Npgsql.NpgsqlParameter { Value = e });
            receipt.Parameters.Add(new Npgsql.NpgsqlParameter { Value = StripeWebhookStreams.StreamId(e) });
            await receipt.ExecuteNonQueryAsync();
        }

        var single = Assert.Single(await RecordAsync([e, f]));

        Assert.Equal(StripeWebhookJobQueue.DedupeKey(f), single.DedupeKey);
        Assert.Equal(0L, await CountAsync(db.DataSource, "SELECT count(*) FROM ledger.events e, ledger.stripe_webhook_dispatch d WHERE e.type = 'stripe.webhook_received.v1' AND e.global_position > d.position"));
    }

    /// <summary>Appends the received events of <paramref name="ids"/> in one unit of work, as the
    /// inbox does for a batch (a duplicate is the event store's no-op), then dispatches; returns
    /// the jobs the dispatch created. Events other tests left undispatched are dispatched first.</summary>
    private async Task<List<(string Type, string Payload, string DedupeKey, string? CorrelationId)>> RecordAsync(string[] ids)
    {
        await JobDispatcher().DispatchAllAsync(default);
        long before;
        await using (var max = db.DataSource.CreateCommand("SELECT coalesce(max(id), 0) FROM ledger.jobs"))
        {
            before = (long)(await max.ExecuteScalarAsync())!;
        }

        var uow = _store.BeginUnitOfWork(new EventMetadata("corr-batch"));
        foreach (var id in ids)
        {
            var received = new StripeWebhookReceived(id, "charge.refunded", "charge", "ch_" + id, false, DateTimeOffset.UnixEpoch, true, "metadata", System.Text.Json.JsonDocument.Parse("{}").RootElement);
            uow.Append("acme", StripeWebhookStreams.StreamId(id), StripeWebhookStreams.StreamType, ExpectedVersion.NoStream,
                [new NewEvent(StripeWebhookStreams.ReceivedEventId(id), received)], new EventMetadata("corr-" + id));
        }

        await uow.CommitAsync();

        await JobDispatcher().DispatchAllAsync(default);
        var jobs = new List<(string, string, string, string?)>();
        await using var read = db.DataSource.CreateCommand("SELECT type, payload::text, dedupe_key, correlation_id FROM ledger.jobs WHERE id > $1 ORDER BY id");
        read.Parameters.Add(new Npgsql.NpgsqlParameter<long> { TypedValue = before });
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            jobs.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return jobs;
    }
}
