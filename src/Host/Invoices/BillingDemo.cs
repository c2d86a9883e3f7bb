using System.CommandLine;
using System.Globalization;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Money;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;
using Billing.Ledger.Time;
using Billing.Ledger.Usage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Spectre.Console;

namespace Billing.Host.Invoices;

/// <summary><c>billing demo</c>: three tenants on different plans and zones, a month of usage
/// through the ingestion service on an adjustable clock (last calendar month, compressed into
/// seconds), the period closed and finalized, a table of the invoices, then the service keeps
/// running so a person can look around.</summary>
public static class BillingDemo
{
    private sealed record DemoTenant(string Name, string Plan, string Zone, int CallsPerHour, decimal StorageGb);

    private static readonly DemoTenant[] Tenants =
    [
        new("acme", "starter", "America/New_York", 20, 12),
        new("globex", "business", "Europe/Berlin", 400, 80),
        new("initech", "enterprise", "Asia/Tokyo", 2_000, 1_500),
    ];

    public static Command Command()
    {
        var command = new Command("demo", "Create three tenants, meter a month of usage, close the period, print the invoices, keep serving.");
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => RunAsync(parse.UnmatchedTokens.ToArray(), ct));
        return command;
    }

    private static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var period = BillingPeriod.Of(DateOnly.FromDateTime(DateTime.UtcNow)).Previous;
        var clock = new AdjustableClock(period.StartUtc(TimeZoneInfo.Utc).AddDays(-3));
        await using var app = await BillingApp.BuildAsync(args, ct, b => b.Services.AddSingleton<TimeProvider>(clock));
        await app.StartAsync(ct);
        try
        {
            return await ShowAsync(app, clock, period, ct);
        }
        finally
        {
            // Also on failure: stops the embedded PostgreSQL with the host.
            await app.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<int> ShowAsync(WebApplication app, AdjustableClock clock, BillingPeriod period, CancellationToken ct)
    {
        var run = DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture);
        var ids = await CreateTenantsAsync(app.Services, run, ct);
        var events = await MeterMonthAsync(app.Services, clock, period, ids, ct);

        // Past every zone's period end plus the grace period, so the close finalizes.
        clock.SetTo(new DateTimeOffset(period.Next.FirstDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(2));
        var close = app.Services.GetRequiredService<InvoicePeriodClose>();
        var closed = new List<(string TenantId, CloseResult? Result, string? Error)>();
        foreach (var id in ids.Keys)
        {
            closed.AddRange(await close.CloseManyAsync(id, period, "system:demo", ct));
        }

        var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? BillingApp.DefaultUrl;
        Print(period, events, closed, ids, baseUrl);
        await app.WaitForShutdownAsync(ct);
        return 0;
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

    private static void Print(BillingPeriod period, int events, List<(string TenantId, CloseResult? Result, string? Error)> closed, Dictionary<string, DemoTenant> ids, string baseUrl)
    {
        var table = new Table().Title($"Invoices for {period} ({events:N0} usage events metered)");
        foreach (var column in new[] { "Tenant", "Plan", "Time zone", "Invoice", "Status", "Total" })
        {
            table.AddColumn(column);
        }

        foreach (var (tenantId, result, error) in closed.OrderBy(c => c.TenantId, StringComparer.Ordinal))
        {
            var t = ids[tenantId];
            table.AddRow(
                Markup.Escape(tenantId), t.Plan, t.Zone, Markup.Escape(result?.Number ?? "-"), Markup.Escape(result?.Status ?? "failed: " + error),
                result is null ? "-" : Currencies.Format(result.TotalMinor, result.Currency));
        }

        AnsiConsole.Write(table);
        foreach (var (tenantId, result, _) in closed.Where(c => c.Result is not null).OrderBy(c => c.TenantId, StringComparer.Ordinal))
        {
            AnsiConsole.WriteLine($"PDF {result!.Number}: {baseUrl}/v1/invoices/{result.InvoiceId}/pdf  ({tenantId})");
        }

        AnsiConsole.MarkupLine(Markup.Escape($"Serving on {baseUrl}: GET /v1/invoices, /v1/invoices/{{id}}, /v1/invoices/{{id}}/pdf, /v1/exports/accounting.csv?from={period.Next.FirstDay:yyyy-MM-dd}&to={period.Next.LastDay:yyyy-MM-dd}. Ctrl-C stops."));
    }
}
