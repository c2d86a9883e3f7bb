using Billing.Ledger.EventStore;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Processing work for one recorded Stripe event.</summary>
public sealed record StripeWebhookWork(string StripeEventId, string TenantId);

/// <summary>One event of a batch processing job, with the correlation id of the
/// request that delivered it (its processing events carry that id).</summary>
public sealed record StripeWebhookBatchItem(string StripeEventId, string TenantId, string? CorrelationId);

/// <summary>Processing work for up to 16 events of one dispatch pass.</summary>
public sealed record StripeWebhookBatchWork(IReadOnlyList<StripeWebhookBatchItem> Events);

/// <summary>Schedules processing of recorded events inside the dispatcher's unit of work (the
/// outbox), so an event never has its receipt without its processing job or the reverse.</summary>
public interface IStripeWebhookQueue
{
    /// <summary>What <see cref="StripeWebhookDispatcher"/> calls, in <paramref name="uow"/>, for
    /// events whose receipts its pass inserted (in log order, at most
    /// <see cref="StripeWebhookDispatchOptions.EventsPerJob"/>): every one of them is to be processed once.</summary>
    void Enqueue(UnitOfWork uow, IReadOnlyList<StripeWebhookBatchItem> events);
}
