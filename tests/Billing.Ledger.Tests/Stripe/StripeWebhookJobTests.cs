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

    [Fact]
    public async Task a_recording_batch_schedules_exactly_the_events_its_transaction_appended()
    {
        var (old, b, c) = (NewEventId(), NewEventId(), NewEventId());
        var queue = new StripeWebhookJobQueue();
        await RecordAsync(queue, [old]);

        // One unit of work offered three events (sorted, as the inbox sends them) but appending
        // two: the earlier one is a duplicate there and must not be scheduled again.
        var jobs = await RecordAsync(queue, [old, b, c]);

        var (type, payload, dedupeKey, correlationId) = Assert.Single(jobs);
        Assert.Equal(StripeWebhookProcessor.BatchJobType, type);
        var fresh = new[] { b, c }.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(StripeWebhookJobQueue.BatchDedupeKey(fresh[0]), dedupeKey);
        Assert.Equal("corr-" + fresh[0], correlationId);
        var work = System.Text.Json.JsonSerializer.Deserialize<StripeWebhookBatchWork>(payload, Job.JsonOptions)!;
        Assert.Equal(fresh, work.Events.Select(e => e.StripeEventId));
        Assert.Equal(fresh.Select(id => "corr-" + id), work.Events.Select(e => e.CorrelationId));

        // Only duplicates: no job at all. One fresh event: a job of its own.
        Assert.Empty(await RecordAsync(queue, [b, c]));
        var d = NewEventId();
        var single = Assert.Single(await RecordAsync(queue, [c, d]));
        Assert.Equal((StripeWebhookProcessor.JobType, StripeWebhookJobQueue.DedupeKey(d)), (single.Type, single.DedupeKey));
        Assert.Equal(d, System.Text.Json.JsonSerializer.Deserialize<StripeWebhookWork>(single.Payload, Job.JsonOptions)!.StripeEventId);
    }

    /// <summary>Appends the received events of <paramref name="ids"/> (a duplicate is the event
    /// store's no-op) and offers all of them to the queue in the same unit of work; returns the
    /// jobs that unit of work created.</summary>
    private async Task<List<(string Type, string Payload, string DedupeKey, string? CorrelationId)>> RecordAsync(StripeWebhookJobQueue queue, string[] ids)
    {
        var ordered = ids.Order(StringComparer.Ordinal).ToArray();
        long before;
        await using (var max = db.DataSource.CreateCommand("SELECT coalesce(max(id), 0) FROM ledger.jobs"))
        {
            before = (long)(await max.ExecuteScalarAsync())!;
        }

        var uow = _store.BeginUnitOfWork(new EventMetadata("corr-batch"));
        foreach (var id in ordered)
        {
            var received = new StripeWebhookReceived(id, "charge.refunded", "charge", "ch_" + id, false, DateTimeOffset.UnixEpoch, true, "metadata", System.Text.Json.JsonDocument.Parse("{}").RootElement);
            uow.Append("acme", StripeWebhookStreams.StreamId(id), StripeWebhookStreams.StreamType, ExpectedVersion.NoStream,
                [new NewEvent(StripeWebhookStreams.ReceivedEventId(id), received)], new EventMetadata("corr-" + id));
        }

        queue.EnqueueRecorded(uow, [.. ordered.Select(id => new StripeWebhookBatchItem(id, "acme", "corr-" + id))]);
        await uow.CommitAsync();
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
