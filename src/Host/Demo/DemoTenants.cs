namespace Billing.Host.Demo;

/// <summary>One demo tenant: a plan, a time zone its billing periods follow, a Stripe test card,
/// and how much usage it generates per local hour.</summary>
public sealed record DemoTenant(string TenantId, string Name, string PlanId, string TimeZone, string PaymentMethod, int ApiCallsPerHour, decimal StorageGb);

public static class DemoTenants
{
    /// <summary>The demo's clock starts here: before the first of the three October periods begins
    /// (Tokyo's October starts 2026-09-30T15:00Z), so every tenant bills a full month.</summary>
    public static DateTimeOffset ClockStart { get; } = new(2026, 9, 30, 12, 0, 0, TimeSpan.Zero);

    public static DateOnly PeriodFirstDay { get; } = new(2026, 10, 1);

    public static IReadOnlyList<DemoTenant> All { get; } =
    [
        new("acme-berlin", "Acme GmbH", "starter", "Europe/Berlin", "pm_card_visa", 20, 12.5m),
        new("globex-nyc", "Globex Corp", "business", "America/New_York", "pm_card_visa", 220, 140m),
        new("initech-tokyo", "Initech KK", "enterprise", "Asia/Tokyo", "pm_card_chargeDeclined", 1_500, 900m),
    ];
}
