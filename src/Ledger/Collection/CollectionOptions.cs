namespace Billing.Ledger.Collection;

/// <summary>Automatic collection settings: <c>BILLING_RETRY_LIMIT</c> (default 3) re-runs after
/// the first attempt for retryable outcomes (processing errors, Stripe unreachable), each
/// <c>BILLING_RETRY_DELAY_HOURS</c> (default 24) after the previous one.</summary>
public sealed record CollectionOptions(int RetryLimit, TimeSpan RetryDelay)
{
    public static CollectionOptions Default { get; } = new(3, TimeSpan.FromHours(24));
}
