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
public static partial class BillingDemo
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
        var outcome = await RunScenarioAsync(app.Services, clock, period, DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture), ct);
        var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? BillingApp.DefaultUrl;
        Print(period, outcome, baseUrl);
        await app.WaitForShutdownAsync(ct);
        return 0;
    }

    private static void Print(BillingPeriod period, DemoOutcome outcome, string baseUrl)
    {
        var (events, closed, ids) = (outcome.Events, outcome.Closed, outcome.Tenants);
        var table = new Table().Title($"Invoices for {period} ({events:N0} usage events metered)");
        foreach (var column in new[] { "Tenant", "Plan / time zone", "Invoice", "Status", "Total" })
        {
            table.AddColumn(column);
        }

        foreach (var (tenantId, result, error) in closed.OrderBy(c => c.TenantId, StringComparer.Ordinal))
        {
            table.AddRow(
                Markup.Escape(tenantId), Markup.Escape(ids[tenantId]), Markup.Escape(result?.Number ?? "-"), Markup.Escape(result?.Status ?? "failed: " + error),
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
