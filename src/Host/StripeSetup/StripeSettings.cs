using System.Globalization;
using Billing.Ledger.Stripe;
using Billing.Ledger.Stripe.Webhooks;

namespace Billing.Host.StripeSetup;

/// <summary>Stripe configuration read from the environment / configuration:
/// <c>STRIPE_SECRET_KEY</c> (absent: the embedded emulator), <c>STRIPE_API_BASE</c>,
/// <c>STRIPE_WEBHOOK_SECRET</c> (comma-separated during rotation),
/// <c>STRIPE_WEBHOOK_TOLERANCE_SECONDS</c> (300), <c>STRIPE_RETRY_MAX</c> (5),
/// <c>STRIPE_RETRY_BASE_MS</c> (1000), <c>STRIPE_RETRY_MAX_DELAY_MS</c> (16000),
/// <c>STRIPE_WEBHOOK_STORM_PER_SECOND</c> (500; 0 never holds processing back),
/// <c>STRIPE_WEBHOOK_STORM_MAX_HOLD_SECONDS</c> (60), <c>STRIPE_WEBHOOK_BATCHES_IN_FLIGHT</c> (2),
/// <c>STRIPE_WEBHOOK_GATHER_AT</c> (4).</summary>
public sealed record StripeSettings(
    string? SecretKey,
    Uri? ApiBase,
    string? WebhookSecrets,
    TimeSpan WebhookTolerance,
    StripeRetryOptions Retry,
    StripeWebhookStormOptions Storm,
    StripeWebhookBatching Batching)
{
    public bool UseEmulator => string.IsNullOrWhiteSpace(SecretKey);

    public static StripeSettings From(IConfiguration configuration)
    {
        var retry = new StripeRetryOptions();
        return new StripeSettings(
            Blank(configuration["STRIPE_SECRET_KEY"]),
            Blank(configuration["STRIPE_API_BASE"]) is { } api ? new Uri(api.EndsWith('/') ? api : api + "/") : null,
            Blank(configuration["STRIPE_WEBHOOK_SECRET"]),
            TimeSpan.FromSeconds(Int(configuration, "STRIPE_WEBHOOK_TOLERANCE_SECONDS", (int)WebhookSignature.DefaultTolerance.TotalSeconds)),
            retry with
            {
                MaxRetries = Int(configuration, "STRIPE_RETRY_MAX", retry.MaxRetries),
                BaseDelay = TimeSpan.FromMilliseconds(Int(configuration, "STRIPE_RETRY_BASE_MS", (int)retry.BaseDelay.TotalMilliseconds)),
                MaxDelay = TimeSpan.FromMilliseconds(Int(configuration, "STRIPE_RETRY_MAX_DELAY_MS", (int)retry.MaxDelay.TotalMilliseconds)),
            },
            new StripeWebhookStormOptions
            {
                PerSecond = Int(configuration, "STRIPE_WEBHOOK_STORM_PER_SECOND", StripeWebhookStormOptions.DefaultPerSecond),
                MaxHold = TimeSpan.FromSeconds(Int(configuration, "STRIPE_WEBHOOK_STORM_MAX_HOLD_SECONDS", (int)StripeWebhookStormOptions.DefaultMaxHold.TotalSeconds)),
            },
            new StripeWebhookBatching
            {
                MaxInFlight = AtLeastOne(configuration, "STRIPE_WEBHOOK_BATCHES_IN_FLIGHT", StripeWebhookBatching.DefaultMaxInFlight),
                GatherAt = AtLeastOne(configuration, "STRIPE_WEBHOOK_GATHER_AT", StripeWebhookBatching.DefaultGatherAt),
            });
    }

    public override string ToString() =>
        $"StripeSettings {{ SecretKey = {StripeSecrets.Mask(SecretKey)}, ApiBase = {ApiBase}, WebhookSecrets = {WebhookSecretCount} configured, Tolerance = {WebhookTolerance} }}";

    private int WebhookSecretCount => (WebhookSecrets ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static int Int(IConfiguration configuration, string key, int fallback) =>
        configuration[key] is { Length: > 0 } text
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : throw new InvalidOperationException($"{key} must be a whole number, got '{text}'.")
            : fallback;

    private static int AtLeastOne(IConfiguration configuration, string key, int fallback) =>
        Int(configuration, key, fallback) is >= 1 and var value ? value : throw new InvalidOperationException($"{key} must be at least 1, got '{configuration[key]}'.");
}
