using System.CommandLine;
using Billing.Ledger.Pricing;
using Billing.Ledger.Usage;
using Npgsql;

namespace Billing.Host.Usage;

/// <summary><c>billing usage ...</c>: operator commands over stored usage.</summary>
public static class UsageCli
{
    public static Command Command()
    {
        var usage = new Command("usage", "Stored usage: contract validation and retention.");
        usage.Subcommands.Add(ValidateContract());
        return usage;
    }

    private static Command ValidateContract()
    {
        var lookback = new Option<int>("--lookback-days") { Description = "Window of recorded usage to check, and the contract's lookback.", DefaultValueFactory = _ => 30 };
        var failClosed = new Option<bool>("--fail-closed") { Description = "Exit 1 when any violation is found." };
        var command = new Command("validate-contract", "Report stored usage that breaks the usage contract.") { lookback, failClosed };
        command.SetAction(async (parse, ct) =>
        {
            await using var app = await BillingApp.BuildAsync([], ct);
            var audit = new UsageContractAudit(app.Services.GetRequiredService<NpgsqlDataSource>(), app.Services.GetRequiredService<PlanCatalogue>(), app.Services.GetRequiredService<TimeProvider>());
            var violations = await audit.FindAsync(parse.GetValue(lookback), ct);
            foreach (var group in violations.GroupBy(v => v.Reason).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                await Console.Out.WriteLineAsync($"{group.Key}: {group.Count()} (e.g. {string.Join(", ", group.Take(3).Select(v => v.TenantId + "/" + v.ClientEventId))})");
            }

            await Console.Out.WriteLineAsync($"usage contract: {violations.Count} violation(s) in the last {parse.GetValue(lookback)} day(s)");
            return violations.Count > 0 && parse.GetValue(failClosed) ? 1 : 0;
        });
        return command;
    }
}
