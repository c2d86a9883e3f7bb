using Billing.Ledger.EventStore;
using Billing.Ledger.Stripe.Webhooks;

namespace Billing.Host.StripeSetup;

/// <summary>Used until the durable job queue is registered in this Host: recorded events stay
/// pending in <c>ledger.stripe_webhook_receipts</c> (nothing is lost) and are processed by
/// <see cref="StripeWebhookProcessor.ProcessPendingAsync"/>.</summary>
internal sealed class UnqueuedStripeWebhooks : IStripeWebhookQueue
{
    public void Enqueue(UnitOfWork uow, StripeWebhookWork work)
    {
    }
}
