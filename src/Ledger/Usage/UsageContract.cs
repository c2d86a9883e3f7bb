using Billing.Ledger.Pricing;

namespace Billing.Ledger.Usage;

/// <summary>What a tenant's clock and zone are, as ingestion needs them.</summary>
public sealed record UsageTenant(string TenantId, TimeZoneInfo Zone);

/// <summary>The usage contract: known tenant and metric, a finite non-negative quantity, a
/// timestamp at most five minutes ahead of now and no older than the lookback window.
/// Returns the rejection reason, or null when the event is valid.</summary>
public static class UsageContract
{
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
            : input.Timestamp is not { } at ? "invalid_timestamp"
            : at > now + UsageOptions.FutureTolerance ? "timestamp_in_future"
            : at < now.AddDays(-lookbackDays) ? "timestamp_outside_lookback"
            : null;
    }
}
