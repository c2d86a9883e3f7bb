using System.CommandLine;
using Billing.Ledger.Postgres;

namespace Billing.Host.Cli;

/// <summary>The <c>billing</c> command tree. <c>serve</c> is the default command.</summary>
public static class BillingCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Billing ledger: an event-sourced billing ledger on PostgreSQL.");
        var serve = ServeCommand();
        root.Subcommands.Add(serve);
        root.Subcommands.Add(MigrateCommand());
        root.Subcommands.Add(Billing.Host.Projections.ProjectionsCommand.Create());
        root.SetAction((parse, ct) => ServeAsync(parse.UnmatchedTokens.ToArray(), ct));
        root.TreatUnmatchedTokensAsErrors = false;

        try
        {
            return await root.Parse(args).InvokeAsync();
        }
        catch (PostgresBinariesNotFoundException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 2;
        }
    }

    private static Command ServeCommand()
    {
        var command = new Command("serve", "Run the HTTP service (default). Without BILLING_DB it starts an embedded PostgreSQL under .data/.");
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => ServeAsync(parse.UnmatchedTokens.ToArray(), ct));
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
        var command = new Command("migrate", "Apply pending schema migrations and exit.");
        command.SetAction(async (parse, ct) =>
        {
            await using var app = await BillingApp.BuildAsync([], ct);
            await Console.Out.WriteLineAsync("schema is current");
            return 0;
        });
        return command;
    }
}
