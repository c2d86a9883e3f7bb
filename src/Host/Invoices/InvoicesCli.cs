using System.CommandLine;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Money;
using Billing.Ledger.Pricing;

namespace Billing.Host.Invoices;

/// <summary><c>billing invoices close-period [--tenant T] [--period YYYY-MM]</c>.</summary>
public static class InvoicesCli
{
    public static Command Command()
    {
        var invoices = new Command("invoices", "Invoice operations.");
        invoices.Subcommands.Add(ClosePeriod());
        return invoices;
    }

    private static Command ClosePeriod()
    {
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant (default: every tenant)." };
        var period = new Option<string?>("--period") { Description = "Billing period YYYY-MM (default: the last ended period in each tenant's zone)." };
        var command = new Command("close-period", "Draft, or after the grace period finalize, each tenant's invoice for a period.") { tenant, period };
        command.SetAction(async (parse, ct) =>
        {
            BillingPeriod? target = null;
            if (parse.GetValue(period) is { } text)
            {
                if (!BillingPeriod.TryParse(text, out var parsed))
                {
                    await Console.Error.WriteLineAsync($"--period '{text}' is not YYYY-MM");
                    return 2;
                }

                target = parsed;
            }

            await using var app = await BillingApp.BuildAsync([], ct);
            var close = app.Services.GetRequiredService<InvoicePeriodClose>();
            var results = await close.CloseManyAsync(parse.GetValue(tenant), target, "cli:" + Environment.UserName, ct);
            foreach (var (id, result, error) in results)
            {
                await Console.Out.WriteLineAsync(result is null
                    ? $"{id}: FAILED {error}"
                    : $"{id} {result.Period}: {result.Outcome.ToString().ToLowerInvariant()} {result.Status} {result.Number ?? "-"} {Currencies.Format(result.TotalMinor, result.Currency)}");
            }

            return results.Any(r => r.Error is not null) ? 1 : 0;
        });
        return command;
    }
}
