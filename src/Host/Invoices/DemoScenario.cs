using System.Globalization;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;
using Billing.Ledger.Time;
using Billing.Ledger.Usage;

namespace Billing.Host.Invoices;

/// <summary>What the demo did: usage events accepted, each tenant's close result, the tenants.</summary>
public sealed record DemoOutcome(int Events, IReadOnlyList<(string TenantId, CloseResult? Result, string? Error)> Closed, IReadOnlyDictionary<string, string> Tenants);

public static partial class BillingDemo
{
    /// <summary>The demo's business part, on any app's services: creates the tenants (ids end in
    /// <paramref name="run"/>), meters <paramref name="period"/> day by day on the clock, then
    /// moves the clock past every zone's end plus grace and closes the period.</summary>
    public static async Task<DemoOutcome> RunScenarioAsync(IServiceProvider services, AdjustableClock clock, BillingPeriod period, string run, CancellationToken ct)
    {
        var start = period.StartUtc(TimeZoneInfo.Utc).AddDays(-3);
        if (clock.GetUtcNow() < start)
        {
            clock.SetTo(start);
        }

        var ids = await CreateTenantsAsync(services, run, ct);
        var events = await MeterMonthAsync(services, clock, period, ids, ct);
        clock.SetTo(new DateTimeOffset(period.Next.FirstDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(2));
        var close = services.GetRequiredService<InvoicePeriodClose>();
        var closed = new List<(string TenantId, CloseResult? Result, string? Error)>();
        foreach (var id in ids.Keys)
        {
            closed.AddRange(await close.CloseManyAsync(id, period, "system:demo", ct));
        }

        return new DemoOutcome(events, closed, ids.ToDictionary(i => i.Key, i => i.Value.Plan + " / " + i.Value.Zone, StringComparer.Ordinal));
    }

    private static async Task<Dictionary<string, DemoTenant>> CreateTenantsAsync(IServiceProvider services, string run, CancellationToken ct)
    {
        var directory = services.GetRequiredService<TenantDirectory>();
        var ids = new Dictionary<string, DemoTenant>(StringComparer.Ordinal);
        foreach (var t in Tenants)
        {
            var id = $"{t.Name}-{run}";
            var plan = t.Plan == "business" ? "starter" : t.Plan;
            await directory.CreateAsync(id, new TenantProfile(CultureInfo.InvariantCulture.TextInfo.ToTitleCase(t.Name) + " Inc.", plan, "USD", $"billing@{t.Name}.example", t.Zone, null, null), new EventMetadata(Actor: "system:demo"), ct);
            ids[id] = t;
        }

        await services.GetRequiredService<InvoiceActions>().RecordAdjustmentAsync(ids.Keys.Single(k => k.StartsWith("initech", StringComparison.Ordinal)), AdjustmentKinds.Credit, 25_000, "Onboarding credit", "system:demo", ct);
        return ids;
    }

    /// <summary>One batch per tenant per day, sent when the clock reaches the end of that day;
    /// globex moves from starter to business on the 12th.</summary>
    private static async Task<int> MeterMonthAsync(IServiceProvider services, AdjustableClock clock, BillingPeriod period, Dictionary<string, DemoTenant> ids, CancellationToken ct)
    {
        var ingestion = services.GetRequiredService<UsageIngestion>();
        var directory = services.GetRequiredService<TenantDirectory>();
        var sent = 0;
        for (var day = period.FirstDay; day <= period.LastDay; day = day.AddDays(1))
        {
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            clock.SetTo(start.AddDays(1).AddMinutes(1));
            foreach (var (id, t) in ids)
            {
                if (t.Plan == "business" && day.Day == 12)
                {
                    var current = (await directory.LoadAsync(id, ct))!.State.Profile;
                    await directory.UpdateAsync(id, current with { PlanId = "business" }, null, new EventMetadata(Actor: "system:demo"), ct);
                }

                var batch = Enumerable.Range(0, 24)
                    .Select(h => new UsageInput($"{id}-{day:yyyyMMdd}-{h:D2}", id, DefaultPlans.ApiCalls, t.CallsPerHour + (h % 5), start.AddHours(h).AddMinutes(30), null))
                    .Append(new UsageInput($"{id}-{day:yyyyMMdd}-storage", id, DefaultPlans.StorageGb, Math.Round(t.StorageGb / period.Days, 3), start.AddHours(12), null))
                    .Append(new UsageInput($"{id}-{day:yyyyMMdd}-logins", id, DefaultPlans.Logins, 40, start.AddHours(9), null))
                    .ToList();
                var results = await ingestion.IngestAsync(batch, new EventMetadata(CorrelationId: $"demo-{id}-{day:yyyyMMdd}", Actor: "system:demo"), ct);
                sent += results.Count(r => r.Status == UsageStatus.Accepted);
            }
        }

        return sent;
    }
}
