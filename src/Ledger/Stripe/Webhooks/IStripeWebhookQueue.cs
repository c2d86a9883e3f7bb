using Billing.Ledger.EventStore;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Processing work for one recorded Stripe event.</summary>
public sealed record StripeWebhookWork(string StripeEventId, string TenantId);

/// <summary>One event of a recording batch's processing job, with the correlation id of the
/// request that delivered it (its processing events carry that id).</summary>
public sealed record StripeWebhookBatchItem(string StripeEventId, string TenantId, string? CorrelationId);

/// <summary>Processing work for the fresh events of one recording batch (group commit).</summary>
public sealed record StripeWebhookBatchWork(IReadOnlyList<StripeWebhookBatchItem> Events);

/// <summary>Schedules processing of a recorded event inside the recording unit of work (the
/// outbox), so an event is never recorded without its processing job or the reverse.</summary>
public interface IStripeWebhookQueue
{
    /// <summary>What the inbox calls: schedules, in <paramref name="uow"/>, processing for those
    /// of <paramref name="events"/> whose <c>stripe.webhook_received.v1</c> this unit of work
    /// appends (events.tx_id is the committing transaction's id). The inbox calls it before it
    /// knows which deliveries are duplicates (receipts, appends and jobs go to the server in one
    /// round trip), so a queue must not schedule the others: a duplicate's event was appended,
    /// and scheduled, by the transaction that recorded its first copy.</summary>
    void EnqueueRecorded(UnitOfWork uow, IReadOnlyList<StripeWebhookBatchItem> events);
}
