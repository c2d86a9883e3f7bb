namespace Billing.Host.Demo;

/// <summary>One usage event as the demo sends it to <c>POST /v1/usage</c>.</summary>
public sealed record DemoUsageEvent(string Id, string TenantId, string Metric, decimal Quantity, string Timestamp);

/// <summary>Deterministic hourly usage: the same demo run always sends the same events.</summary>
public static class DemoUsage
{
    /// <summary>Events for every whole local hour of the tenant's October that starts in
    /// [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public static IEnumerable<DemoUsageEvent> Hours(DemoTenant tenant, DateTimeOffset from, DateTimeOffset to)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(tenant.TimeZone);
        for (var hour = from; hour < to; hour = hour.AddHours(1))
        {
            var local = TimeZoneInfo.ConvertTime(hour, zone);
            if (local.Month != 10 || local.Minute != 0)
            {
                continue;
            }

            var seed = local.Day * 24 + local.Hour;
            var calls = tenant.ApiCallsPerHour + (seed * 7919 % 13) - 6;
            var at = hour.AddMinutes(seed % 50);
            yield return Event(tenant, $"{tenant.TenantId}-calls-{hour:yyyyMMddHH}", "api_calls", calls, at);
            yield return Event(tenant, $"{tenant.TenantId}-logins-{hour:yyyyMMddHH}", "logins", seed % 5, at);
            if (local.Hour == 0)
            {
                yield return Event(tenant, $"{tenant.TenantId}-storage-{hour:yyyyMMdd}", "storage_gb", tenant.StorageGb / 31m, at);
            }
        }
    }

    private static DemoUsageEvent Event(DemoTenant tenant, string id, string metric, decimal quantity, DateTimeOffset at) =>
        new(id, tenant.TenantId, metric, decimal.Round(quantity, 6), at.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Everything the demo sends for one tenant over its whole October.</summary>
    public static IEnumerable<DemoUsageEvent> Month(DemoTenant tenant) =>
        Hours(tenant, DemoTenants.ClockStart, new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
}
