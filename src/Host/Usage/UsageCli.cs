using System.CommandLine;
using Billing.Ledger.Pricing;
using Billing.Ledger.Usage;
using Billing.Host.Invoices;
using Npgsql;

namespace Billing.Host.Usage;

/// <summary><c>billing usage ...</c>: operator commands over stored usage.</summary>
public static class UsageCli
{
    public static Command Command()
    {
        var usage = new Command("usage", "Stored usage: contract validation and retention.");
        usage.Subcommands.Add(ValidateContract());
        usage.Subcommands.Add(Purge());
        return usage;
    }

    private static Command Purge()
    {
        var olderThan = new Option<int>("--older-than") { Description = "Archive raw usage recorded more than this many days ago.", Required = true };
        var confirm = new Option<bool>("--confirm") { Description = "Really archive (default: dry run that only reports)." };
        var command = new Command("purge", "Archive raw usage of periods whose invoices are final, keeping per-day summaries (dry run by default).") { olderThan, confirm }.Accepting();
        command.SetAction(async (parse, ct) =>
        {
            var days = parse.GetValue(olderThan);
            if (days < 0)
            {
                await Console.Error.WriteLineAsync("--older-than must be >= 0");
                return 2;
            }

            await using var app = await CliHost.BuildAsync(parse, ct);
            if (app is null)
            {
                return 2;
            }

            var retention = new UsageRetention(app.Services.GetRequiredService<NpgsqlDataSource>(), app.Services.GetRequiredService<TimeProvider>());
            var confirmed = parse.GetValue(confirm);
            var groups = await retention.PurgeAsync(days, confirmed, ct);
            foreach (var g in groups)
            {
                await Console.Out.WriteLineAsync($"{g.TenantId} {g.Period}: {g.Events} event(s), quantity {g.Quantity}");
            }

            var verb = confirmed ? "archived" : "would archive (dry run; add --confirm)";
            await Console.Out.WriteLineAsync($"usage purge: {verb} {groups.Sum(g => g.Events)} event(s) in {groups.Count} tenant period(s)");
            return 0;
        });
        return command;
    }

    private static Command ValidateContract()
    {
        var lookback = new Option<int>("--lookback-days") { Description = "Window of recorded usage to check, and the contract's lookback.", DefaultValueFactory = _ => 30 };
        var failClosed = new Option<bool>("--fail-closed") { Description = "Exit 1 when any violation is found." };
        var command = new Command("validate-contract", "Report stored usage that breaks the usage contract.") { lookback, failClosed }.Accepting();
        command.SetAction(async (parse, ct) =>
        {
            await using var app = await CliHost.BuildAsync(parse, ct);
            if (app is null)
            {
                return 2;
            }

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
