using System.CommandLine;

namespace Billing.Host.Cli;

/// <summary>The <c>billing</c> command tree. <c>serve</c> is the default command. Every command
/// has <c>--help</c>; failures print one line to stderr and exit non-zero (see <see cref="CliRun"/>).</summary>
public static class BillingCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Billing ledger: an event-sourced billing ledger on PostgreSQL.");
        root.Subcommands.Add(ServeCommand());
        root.Subcommands.Add(MigrateCommand());
        root.Subcommands.Add(KeysCli.Command());
        Billing.Host.Invoices.InvoicingCli.AddCommands(root);
        root.Subcommands.Add(Billing.Host.Demo.DemoCommand.Create());
        Billing.Host.StripeCli.StripeCommands.AddTo(root);
        root.Subcommands.Add(ConfigCli.Command());
        root.Subcommands.Add(Billing.Host.Projections.ProjectionsCommand.Create());
        CliRun.SetAction(root, (parse, ct) => ServeAsync(parse.UnmatchedTokens.ToArray(), ct), correlate: false);
        root.TreatUnmatchedTokensAsErrors = false;
        // The generic host handles Ctrl-C/SIGTERM itself (graceful stop, embedded PostgreSQL shut
        // down); System.CommandLine's own handler would abandon it after two seconds.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    private static Command ServeCommand()
    {
        var command = new Command("serve", "Run the HTTP service (default). Without BILLING_DB it starts an embedded PostgreSQL under .data/. Other arguments (--urls ...) go to the web host.");
        command.TreatUnmatchedTokensAsErrors = false;
        CliRun.SetAction(command, (parse, ct) => ServeAsync(parse.UnmatchedTokens.ToArray(), ct), correlate: false);
        return command;
    }

    private static async Task<int> ServeAsync(string[] args, CancellationToken ct)
    {
        await using var app = await BillingApp.BuildAsync(args, ct);
        await app.RunAsync();
        return 0;
    }

    private static Command MigrateCommand()
    {
        var json = CliRun.JsonOption();
        var command = new Command("migrate", "Apply pending schema migrations and exit.") { json };
        CliRun.SetAction(command, async (parse, ct) =>
        {
            var quiet = parse.GetValue(json);
            await using var db = await CliProgress.RunAsync("Opening the ledger database", quiet, () => CliDatabase.OpenAsync(CliDatabase.Configuration(), migrate: false, ct));
            var applied = await CliProgress.RunAsync("Applying migrations", quiet, () => db.Migrator.ApplyAsync(ct));
            if (quiet)
            {
                await CliRun.WriteJsonAsync(new { applied = applied.Select(m => new { m.Version, m.Name }), current = db.Migrator.Migrations[^1].Version });
                return 0;
            }

            foreach (var m in applied)
            {
                await Console.Out.WriteLineAsync($"applied {m.Version:D4} {m.Name}");
            }

            await Console.Out.WriteLineAsync($"schema is current (version {db.Migrator.Migrations[^1].Version:D4})");
            return 0;
        });
        return command;
    }
}
