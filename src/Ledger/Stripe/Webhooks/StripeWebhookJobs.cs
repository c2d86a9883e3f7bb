using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Enqueues the processing of a recorded Stripe event on the durable job queue, in the
/// recording unit of work (the outbox). The dedupe key is the Stripe event id: one job per event.</summary>
public sealed class StripeWebhookJobQueue : IStripeWebhookQueue
{
    public static string DedupeKey(string stripeEventId) => "stripe-webhook:" + stripeEventId;

    public void Enqueue(UnitOfWork uow, StripeWebhookWork work) => Enqueue(uow, work, null);

    public void Enqueue(UnitOfWork uow, StripeWebhookWork work, string? correlationId) =>
        uow.Enqueue(JobRequest.For(StripeWebhookProcessor.JobType, work, work.TenantId, dedupeKey: DedupeKey(work.StripeEventId), correlationId: correlationId));
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
