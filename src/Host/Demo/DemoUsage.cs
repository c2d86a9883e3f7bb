namespace Billing.Host.Demo;

/// <summary>Deterministic hourly usage: the same demo run always sends the same events.</summary>
public static class DemoUsage
{
    /// <summary>Events for every whole local hour of the tenant's October that starts in
    /// [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public static IEnumerable<object> Hours(DemoTenant tenant, DateTimeOffset from, DateTimeOffset to)
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

    private static object Event(DemoTenant tenant, string id, string metric, decimal quantity, DateTimeOffset at) => new
    {
        id,
        tenantId = tenant.TenantId,
        metric,
        quantity = decimal.Round(quantity, 6),
        timestamp = at.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
    };
}
