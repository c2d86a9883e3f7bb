using System.Text.Json;
using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Enqueues the processing of recorded Stripe events on the durable job queue, in the
/// recording unit of work (the outbox). A lone event gets a job of its own (dedupe key: the
/// Stripe event id); the fresh events of a recording batch get ONE job together, so a burst of
/// deliveries costs one job row, one claim and one completion instead of one per event. Each
/// event is fresh in exactly one batch (the receipt's primary key), so each is in one job.</summary>
public sealed class StripeWebhookJobQueue : IStripeWebhookQueue
{
    public static string DedupeKey(string stripeEventId) => "stripe-webhook:" + stripeEventId;

    /// <summary>A batch job is named by its first event, which no other batch can hold.</summary>
    public static string BatchDedupeKey(string firstStripeEventId) => "stripe-webhook-batch:" + firstStripeEventId;

    /// <summary>The job processing one event on its own.</summary>
    public static JobRequest Request(StripeWebhookWork work, string? correlationId) =>
        JobRequest.For(StripeWebhookProcessor.JobType, work, work.TenantId, dedupeKey: DedupeKey(work.StripeEventId), correlationId: correlationId);

    /// <summary>One statement in the recording batch (migration 0099): of the events given (in
    /// Stripe event id order), those the transaction appended get one job, per-event or batch as
    /// in <see cref="EnqueueAll"/>. The payloads are serialized here, as every job's are.</summary>
    public void EnqueueRecorded(UnitOfWork uow, IReadOnlyList<StripeWebhookBatchItem> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        var command = new NpgsqlBatchCommand(EnqueueRecordedSql);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. events.Select(e => StripeWebhookStreams.ReceivedEventId(e.StripeEventId))], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        p.Add(Texts(events.Select(e => e.StripeEventId)));
        p.Add(Texts(events.Select(e => e.TenantId)));
        p.Add(Texts(events.Select(e => e.CorrelationId ?? uow.Metadata.CorrelationId)));
        p.Add(Jsons(events.Select(e => JsonSerializer.Serialize(new StripeWebhookWork(e.StripeEventId, e.TenantId), Job.JsonOptions))));
        p.Add(Jsons(events.Select(e => JsonSerializer.Serialize(e, Job.JsonOptions))));
        p.Add(new NpgsqlParameter<string> { TypedValue = StripeWebhookProcessor.JobType });
        p.Add(new NpgsqlParameter<string> { TypedValue = DedupeKey("") });
        p.Add(new NpgsqlParameter<string> { TypedValue = StripeWebhookProcessor.BatchJobType });
        p.Add(new NpgsqlParameter<string> { TypedValue = BatchDedupeKey("") });
        p.Add(new NpgsqlParameter<string> { TypedValue = Job.JsonOptions.PropertyNamingPolicy?.ConvertName(nameof(StripeWebhookBatchWork.Events)) ?? nameof(StripeWebhookBatchWork.Events) });
        p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = uow.Clock.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        uow.AddCommand(command);
        uow.EnqueuesDueJob = true;
    }

    private const string EnqueueRecordedSql =
        "SELECT ledger.enqueue_recorded_stripe_webhooks($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

    private static NpgsqlParameter<string?[]> Texts(IEnumerable<string?> values) =>
        new() { TypedValue = [.. values], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static NpgsqlParameter<string[]> Jsons(IEnumerable<string> values) =>
        new() { TypedValue = [.. values], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb };

    /// <summary>Schedules events already recorded (an operator's or a test's re-run), all of
    /// them, as <see cref="EnqueueRecorded"/> would schedule fresh ones.</summary>
    public void EnqueueAll(UnitOfWork uow, IReadOnlyList<StripeWebhookBatchItem> events)
    {
        if (events.Count == 1)
        {
            uow.Enqueue(Request(new StripeWebhookWork(events[0].StripeEventId, events[0].TenantId), events[0].CorrelationId));
            return;
        }

        var tenants = events.Select(e => e.TenantId).Distinct(StringComparer.Ordinal).ToList();
        uow.Enqueue(JobRequest.For(StripeWebhookProcessor.BatchJobType, new StripeWebhookBatchWork(events), tenants.Count == 1 ? tenants[0] : null,
            dedupeKey: BatchDedupeKey(events[0].StripeEventId), correlationId: events[0].CorrelationId));
    }
}

/// <summary>Runs <see cref="StripeWebhookProcessor"/> for queued events; their effects, the
/// processed markers and the jobs' completions commit in one transaction per claimed batch
/// (<see cref="HandleBatchAsync"/>), or per event when run alone or when a batch fails.</summary>
public sealed class StripeWebhookJobHandler(StripeWebhookProcessor processor) : IBatchJobHandler
{
    public string JobType => StripeWebhookProcessor.JobType;

    /// <summary>Processing only touches the ledger, so failures are ours (database, a domain
    /// handler bug): retry for about a day, then dead-letter for an operator.</summary>
    public JobPolicy Policy { get; } = new(MaxAttempts: 12, BaseDelay: TimeSpan.FromSeconds(5), MaxDelay: TimeSpan.FromHours(2));

    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        var work = context.Job.Payload<StripeWebhookWork>();
        await processor.ProcessAsync(work, context.Metadata, (uow, token) => context.CompleteWithAsync(uow, token), ct);
    }

    public Task HandleBatchAsync(IReadOnlyList<JobContext> jobs, CancellationToken ct) => processor.ProcessBatchAsync(jobs, ct);
}

/// <summary>Runs the one job of a recording batch: all its events in one transaction with the
/// job's completion. Events that cannot be decided, or the whole batch when its transaction
/// fails, are handed to jobs of their own (<see cref="StripeWebhookJobHandler"/>), where each
/// retries and dead-letters alone. Several such jobs claimed together (a backlog) are decided
/// and completed as one batch (<see cref="HandleBatchAsync"/>); if that fails, each job runs
/// on its own.</summary>
public sealed class StripeWebhookBatchJobHandler(StripeWebhookProcessor processor) : IBatchJobHandler
{
    public string JobType => StripeWebhookProcessor.BatchJobType;

    /// <summary>Only splitting can fail here (the database): retry it like a single event.</summary>
    public JobPolicy Policy { get; } = new(MaxAttempts: 12, BaseDelay: TimeSpan.FromSeconds(5), MaxDelay: TimeSpan.FromHours(2));

    public Task HandleAsync(JobContext context, CancellationToken ct) => processor.ProcessRecordedBatchAsync(context, ct);

    public Task HandleBatchAsync(IReadOnlyList<JobContext> jobs, CancellationToken ct) => processor.ProcessRecordedBatchesAsync(jobs, ct);
}
