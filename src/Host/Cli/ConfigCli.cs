using System.CommandLine;
using Billing.Host.Observability;
using Spectre.Console;

namespace Billing.Host.Cli;

/// <summary><c>billing config</c>: the effective Billing settings (appsettings.json and environment)
/// with every secret masked, for checking a deployment without leaking it into a ticket.</summary>
public static class ConfigCli
{
    public static Command Command()
    {
        var json = CliRun.JsonOption();
        var command = new Command("config", "Show the effective billing configuration with secrets masked.") { json };
        CliRun.SetAction(command, async (parse, ct) =>
        {
            var dump = ConfigurationDump.Render(CliDatabase.Configuration(), ConfigurationDump.IsBillingSetting);
            if (parse.GetValue(json))
            {
                await CliRun.WriteJsonAsync(dump);
                return 0;
            }

            var table = new Table().AddColumns("setting", "value");
            foreach (var (key, value) in dump)
            {
                table.AddRow(Markup.Escape(key), Markup.Escape(value));
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}
