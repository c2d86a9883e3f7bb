using Spectre.Console;

namespace Billing.Host.Cli;

/// <summary>A Spectre.Console spinner on stderr for work that may take more than a few seconds
/// (starting the embedded cluster, migrating, long exports). Silent when output is for scripts
/// (<c>--json</c>) or stderr is not a terminal, so piped output stays clean.</summary>
public static class CliProgress
{
    public static async Task<T> RunAsync<T>(string status, bool quiet, Func<Task<T>> work)
    {
        if (quiet || Console.IsErrorRedirected)
        {
            return await work();
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Status().Spinner(Spinner.Known.Dots).StartAsync(status, _ => work());
    }
}
