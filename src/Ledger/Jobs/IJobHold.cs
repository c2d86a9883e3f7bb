namespace Billing.Ledger.Jobs;

/// <summary>Holds job types back in this process for a while. A hosted worker does not claim a
/// type that a registered hold holds when it claims: those jobs stay queued and due, and the
/// first claim after the hold ends takes them. Holds only defer work, never drop it; a hold
/// must end by itself (<see cref="Stripe.Webhooks.StripeWebhookStormHold"/> is bounded).
/// An explicit drain (<see cref="JobWorker.DrainAsync"/> built without holds: the CLI, tests)
/// is not held.</summary>
public interface IJobHold
{
    bool Holds(string jobType);
}
