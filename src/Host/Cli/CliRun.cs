using System.CommandLine;
using System.Text.Json;
using Billing.Ledger.Observability;
using Billing.Ledger.Postgres;
using Npgsql;

namespace Billing.Host.Cli;

/// <summary>Shared behaviour of every command: a correlation id per invocation, expected failures
/// as one line on stderr with exit code 1 (2 when PostgreSQL binaries are missing), and
/// <c>--json</c> output.</summary>
public static class CliRun
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Option<bool> JsonOption() => new("--json") { Description = "Write machine-readable JSON to stdout." };

    /// <summary>Sets <paramref name="action"/> on <paramref name="command"/> with the shared error
    /// handling. A one-shot command runs in one correlation scope; <c>serve</c> must not
    /// (<paramref name="correlate"/> false), or every request and job would inherit one id.</summary>
    public static void SetAction(Command command, Func<ParseResult, CancellationToken, Task<int>> action, bool correlate = true) =>
        command.SetAction(async (parse, ct) =>
        {
            using var scope = correlate ? CorrelationScope.Begin(CorrelationScope.NewId()) : null;
            try
            {
                return await action(parse, ct);
            }
            catch (PostgresBinariesNotFoundException ex)
            {
                await Console.Error.WriteLineAsync("error: " + ex.Message);
                return 2;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NpgsqlException or IOException or TimeoutException)
            {
                var message = ex is ArgumentException { ParamName: { } name } ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
                await Console.Error.WriteLineAsync("error: " + OneLine(message));
                return 1;
            }
        });

    public static Task WriteJsonAsync<T>(T value) => Console.Out.WriteLineAsync(JsonSerializer.Serialize(value, Json));

    private static string OneLine(string message) =>
        Billing.Host.Observability.SecretMasker.Apply(message.ReplaceLineEndings(" ").Trim());
}
