using Billing.Ledger.EventStore;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Processing work for one recorded Stripe event.</summary>
public sealed record StripeWebhookWork(string StripeEventId, string TenantId);

/// <summary>Schedules processing of a recorded event inside the recording unit of work (the
/// outbox), so an event is never recorded without its processing job or the reverse.</summary>
public interface IStripeWebhookQueue
{
    void Enqueue(UnitOfWork uow, StripeWebhookWork work);

    /// <summary>As <see cref="Enqueue(UnitOfWork, StripeWebhookWork)"/>, with the delivering
    /// request's correlation id for the job instead of the unit of work's (which several
    /// deliveries of one batch share).</summary>
    void Enqueue(UnitOfWork uow, StripeWebhookWork work, string? correlationId) => Enqueue(uow, work);
}
