namespace Billing.Ledger.Pricing;

/// <summary>The catalogue used when configuration has no <c>Billing:Plans</c> section, so a
/// fresh machine can bill out of the box. Prices are USD minor units (cents).</summary>
public static class DefaultPlans
{
    public const string ApiCalls = "api_calls";
    public const string StorageGb = "storage_gb";
    public const string Logins = "logins";

    public static IReadOnlyList<Plan> All { get; } =
    [
        new("starter", "Starter", "USD", 2_900, "price_starter_monthly", new Dictionary<string, MetricPrice>
        {
            [ApiCalls] = new(true, 10_000, 0.2m, []),
            [StorageGb] = new(true, 10, 25m, []),
            [Logins] = MetricPrice.NotBillable,
        }),
        new("business", "Business", "USD", 9_900, "price_business_monthly", new Dictionary<string, MetricPrice>
        {
            [ApiCalls] = new(true, 100_000, 0.1m, [new(400_000, 0.1m), new(null, 0.05m)]),
            [StorageGb] = new(true, 100, 20m, []),
            [Logins] = MetricPrice.NotBillable,
        }),
        new("enterprise", "Enterprise", "USD", 49_900, "price_enterprise_monthly", new Dictionary<string, MetricPrice>
        {
            [ApiCalls] = new(true, 1_000_000, 0.05m, [new(4_000_000, 0.05m), new(null, 0.02m)]),
            [StorageGb] = new(true, 1_000, 15m, []),
            [Logins] = MetricPrice.NotBillable,
        }),
    ];
}
