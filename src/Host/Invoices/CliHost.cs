using System.CommandLine;

namespace Billing.Host.Invoices;

/// <summary>Builds the app (services, migrations; no HTTP server started) for one operator
/// command. Tokens the command does not know pass through as configuration when they have the
/// form <c>--Key=Value</c> (<c>--ConnectionStrings:Ledger=...</c>,
/// <c>--Billing:Invoicing:GraceHours=48</c>); anything else is refused, so a mistyped flag such
/// as <c>--confrim</c> is an error rather than silently ignored.</summary>
public static class CliHost
{
    /// <summary>The app, or null after printing why the command line was refused (exit code 2).</summary>
    public static async Task<WebApplication?> BuildAsync(ParseResult parse, CancellationToken ct)
    {
        var unknown = parse.UnmatchedTokens.Where(t => !t.StartsWith("--", StringComparison.Ordinal) || !t.Contains('=', StringComparison.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            await Console.Error.WriteLineAsync($"Unknown argument(s): {string.Join(' ', unknown)} (configuration overrides are --Key=Value)");
            return null;
        }

        return await BillingApp.BuildAsync(parse.UnmatchedTokens.ToArray(), ct);
    }

    public static T Accepting<T>(this T command)
        where T : Command
    {
        command.TreatUnmatchedTokensAsErrors = false;
        return command;
    }
}
