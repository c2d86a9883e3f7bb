using Billing.Ledger.Pricing;

namespace Billing.Ledger.Usage;

/// <summary>What a tenant's clock and zone are, as ingestion needs them.</summary>
public sealed record UsageTenant(string TenantId, TimeZoneInfo Zone);

/// <summary>The usage contract: known tenant and metric, a finite non-negative quantity (at most 10^15,
/// nine decimal places), a
/// timestamp at most five minutes ahead of now and no older than the lookback window.
/// Returns the rejection reason, or null when the event is valid.</summary>
public static class UsageContract
{
    /// <summary>Bounds that keep any month of sums exact in <c>decimal</c> (28 digits): at most
    /// 10^15 per event and nine decimal places (nano-units).</summary>
    public const decimal MaxQuantity = 1_000_000_000_000_000m;

    public const int MaxScale = 9;

    /// <summary>Trailing zeros do not count as precision: 1.000000000000 is within range.</summary>
    public static bool WithinRange(decimal quantity) =>
        quantity <= MaxQuantity && (quantity / 1.000000000000000000000000000000000m).Scale <= MaxScale;

    public static string? Violation(UsageInput input, UsageTenant? tenant, PlanCatalogue catalogue, DateTimeOffset now, int lookbackDays)
    {
        if (input.ShapeError is { } shape)
        {
            return shape;
        }

        if (string.IsNullOrWhiteSpace(input.ClientEventId) || input.ClientEventId.Length > 200)
        {
            return "invalid_id";
        }

        return tenant is null ? "unknown_tenant"
            : input.Metric is null || !catalogue.Metrics.Contains(input.Metric) ? "unknown_metric"
            : input.Quantity is not { } quantity ? "invalid_quantity"
            : quantity < 0 ? "negative_quantity"
            : !WithinRange(quantity) ? "quantity_out_of_range"
            : input.Timestamp is not { } at ? "invalid_timestamp"
            : at > now + UsageOptions.FutureTolerance ? "timestamp_in_future"
            : at < now.AddDays(-lookbackDays) ? "timestamp_outside_lookback"
            : null;
    }
}
