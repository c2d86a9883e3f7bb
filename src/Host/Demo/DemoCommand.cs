using System.CommandLine;
using System.Globalization;
using Billing.Host.Auth;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Jobs;
using Billing.Ledger.Time;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Spectre.Console;

namespace Billing.Host.Demo;

/// <summary><c>billing demo</c>: the service on embedded defaults with an adjustable clock and a
/// fresh <c>billing_demo</c> database, a month of billing played through it, then it keeps serving
/// so a person can look around (Ctrl-C stops it and the embedded PostgreSQL).</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Play a month of billing for three tenants on the embedded defaults, print their invoices, keep serving.");
        command.TreatUnmatchedTokensAsErrors = false;
        Billing.Host.Cli.CliRun.SetAction(command, (parse, ct) => RunAsync(parse.UnmatchedTokens.ToArray(), ct), correlate: false);
        return command;
    }

    private static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var clock = new AdjustableClock(DemoTenants.ClockStart);
        string[] demoArgs = [.. args, "--BILLING_EMBEDDED_DATABASE=billing_demo", "--BILLING_EMBEDDED_FRESH=true", "--Billing:Invoicing:ScheduleCloses=false", "--Billing:Logging:Format=text", "--Serilog:MinimumLevel:Default=Warning"];
        await using var app = await BillingApp.BuildAsync(demoArgs, ct, builder => builder.Services.AddSingleton<TimeProvider>(clock));
        await app.StartAsync(ct);
        var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var key = await app.Services.GetRequiredService<ApiKeyStore>().CreateAsync(Roles.Admin, description: "demo", ct: ct);
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);

        AnsiConsole.MarkupLine($"[bold]Billing demo[/] on {baseUrl} — clock starts at {DemoTenants.ClockStart:u}");
        var script = new DemoScript(http, clock, app.Services.GetRequiredService<InvoicePeriodClose>(), app.Services.GetRequiredService<Billing.Ledger.Stripe.StripeClient>());
        // Drive the due jobs (invoice collection) to completion here rather than waiting on the
        // background workers' polling: the demo prints only settled invoices.
        var worker = new JobWorker(app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), app.Services.GetServices<IJobHandler>(), clock);
        var emulator = app.Services.GetService<Billing.Host.StripeEmulator.StripeEmulator>();
        Func<bool> deliveriesIdle = emulator is null ? () => true : () => emulator.Webhooks.IsIdle;
        var rows = await script.RunAsync(() => DemoSettle.UntilQuietAsync(worker, app.Services.GetRequiredService<JobQueue>(), TimeSpan.FromMinutes(2), ct, deliveriesIdle), ct);

        Print(rows, baseUrl, key.Key);
        await app.WaitForShutdownAsync(ct);
        return 0;
    }

    private static void Print(IReadOnlyList<DemoRow> rows, string baseUrl, string adminKey)
    {
        var table = new Table().AddColumns("Tenant", "Plan", "Time zone", "Usage", "Invoice", "Total", "Status");
        foreach (var row in rows)
        {
            table.AddRow(row.TenantId, row.PlanId, row.TimeZone, row.UsageEvents.ToString(CultureInfo.InvariantCulture),
                row.Number ?? row.InvoiceId, Format(row.TotalMinor, row.Currency), row.Status);
        }

        AnsiConsole.Write(table);
        AnsiConsole.WriteLine("Invoice PDFs:");
        foreach (var row in rows)
        {
            AnsiConsole.WriteLine($"  {row.Number ?? row.InvoiceId}: {baseUrl}{row.PdfUrl}");
        }

        AnsiConsole.WriteLine($"Admin key for this demo (shown once): {adminKey}");
        AnsiConsole.WriteLine($"Try: curl -H 'Authorization: Bearer <key>' {baseUrl}/v1/invoices");
        AnsiConsole.WriteLine("The service keeps running; Ctrl-C stops it and the embedded PostgreSQL.");
    }

    private static string Format(long minor, string currency) =>
        string.Create(CultureInfo.InvariantCulture, $"{minor / 100m:0.00} {currency}");
}
