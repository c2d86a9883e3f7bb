namespace Billing.Ledger.Stripe;

/// <summary>How to reach Stripe (or the local emulator). The secret key is never logged or put
/// in an exception message; see <see cref="StripeSecrets.Mask"/>.</summary>
public sealed record StripeOptions
{
    /// <summary>The API version every request pins, so Stripe cannot change shapes under us.</summary>
    public const string DefaultApiVersion = "2024-06-20";

    public static Uri LiveBaseUrl { get; } = new("https://api.stripe.com/");

    public required string SecretKey { get; init; }

    public Uri BaseUrl { get; init; } = LiveBaseUrl;

    public string ApiVersion { get; init; } = DefaultApiVersion;

    public StripeRetryOptions Retry { get; init; } = new();

    /// <summary>Live keys move real money: <c>sk_live_</c> / <c>rk_live_</c>.</summary>
    public bool IsLiveKey => SecretKey.StartsWith("sk_live_", StringComparison.Ordinal) || SecretKey.StartsWith("rk_live_", StringComparison.Ordinal);

    public override string ToString() => $"StripeOptions {{ BaseUrl = {BaseUrl}, ApiVersion = {ApiVersion}, SecretKey = {StripeSecrets.Mask(SecretKey)} }}";
}

/// <summary>Retry policy for one logical request. Defaults follow the operators' runbooks:
/// exponential backoff from 1 s capped at 16 s, with jitter, five retries.</summary>
public sealed record StripeRetryOptions
{
    public int MaxRetries { get; init; } = 5;

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(16);

    public bool UseJitter { get; init; } = true;

    /// <summary>Per attempt: a hung connection counts as a failed attempt and is retried.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
