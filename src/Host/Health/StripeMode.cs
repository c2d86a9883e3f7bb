namespace Billing.Host.Health;

/// <summary>Which Stripe the Host talks to, from <c>STRIPE_SECRET_KEY</c> (or <c>Stripe:SecretKey</c>):
/// <c>sk_live_</c>/<c>rk_live_</c> = live, <c>sk_test_</c>/<c>rk_test_</c> = test, absent = the
/// local emulator. Never reports the key itself.</summary>
public static class StripeMode
{
    public const string Live = "live";
    public const string Test = "test";
    public const string Emulator = "emulator";
    public const string Unrecognised = "unrecognised";

    public static string Of(IConfiguration configuration)
    {
        var key = configuration["STRIPE_SECRET_KEY"] is { Length: > 0 } env ? env : configuration["Stripe:SecretKey"];
        return key switch
        {
            null or "" => Emulator,
            _ when key.StartsWith("sk_live_", StringComparison.Ordinal) || key.StartsWith("rk_live_", StringComparison.Ordinal) => Live,
            _ when key.StartsWith("sk_test_", StringComparison.Ordinal) || key.StartsWith("rk_test_", StringComparison.Ordinal) => Test,
            _ => Unrecognised,
        };
    }
}
