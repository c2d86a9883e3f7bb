namespace Billing.Ledger.Stripe;

/// <summary>Idempotency keys derived from our own ids, never random: a retry of the same logical
/// request (a crashed job re-run, a Polly retry) sends the same key, so Stripe replays the first
/// result instead of charging again (lago-api#5708 double-charged with two differing keys).</summary>
public static class IdempotencyKeys
{
    public const int MaxLength = 255;

    public static string Charge(string invoiceId, int attempt) => Checked($"charge:{invoiceId}:attempt:{attempt}");

    public static string Refund(string invoiceId, string refundId) => Checked($"refund:{invoiceId}:{refundId}");

    public static string Customer(string tenantId) => Checked($"customer:{tenantId}");

    public static string MeterEvent(string identifier) => Checked($"meter:{identifier}");

    public static string Checked(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        if (key.Length > MaxLength)
        {
            throw new ArgumentException($"Stripe idempotency keys are at most {MaxLength} characters.", nameof(key));
        }

        return key;
    }
}
