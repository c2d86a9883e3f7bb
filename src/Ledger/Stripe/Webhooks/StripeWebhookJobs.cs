using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Enqueues the processing of recorded Stripe events on the durable job queue, in the
/// dispatcher's unit of work, with their receipts (the outbox). A lone event gets a job of its
/// own (dedupe key: the Stripe event id); the events of a dispatch pass get ONE job per up to
/// <see cref="StripeWebhookDispatchOptions.EventsPerJob"/> (16), so a burst of deliveries costs
/// one job row, one claim and one completion per 16 events instead of per event. Each event's receipt is inserted by exactly
/// one pass (its primary key), and only those events are given here, so each is in one job.</summary>
public sealed class StripeWebhookJobQueue : IStripeWebhookQueue
{
    public static string DedupeKey(string stripeEventId) => "stripe-webhook:" + stripeEventId;

    /// <summary>A batch job is named by its first event, which no other batch can hold.</summary>
    public static string BatchDedupeKey(string firstStripeEventId) => "stripe-webhook-batch:" + firstStripeEventId;

    /// <summary>The job processing one event on its own.</summary>
    public static JobRequest Request(StripeWebhookWork work, string? correlationId) =>
        JobRequest.For(StripeWebhookProcessor.JobType, work, work.TenantId, dedupeKey: DedupeKey(work.StripeEventId), correlationId: correlationId);

    /// <summary>What the dispatcher calls for each chunk of events whose receipts its pass
    /// inserted: one event gets a job of its own, several one batch job together.</summary>
    public void Enqueue(UnitOfWork uow, IReadOnlyList<StripeWebhookBatchItem> events)
    {
        ArgumentOutOfRangeException.ThrowIfZero(events.Count);
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

/// <summary>Runs a batch job (up to 16 events of one dispatch pass): all its events in one transaction with the
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
