using System.CommandLine;
using System.Globalization;
using Billing.Host.Auth;
using Billing.Host.Invoices;

namespace Billing.Host.Exports;

/// <summary><c>GET /v1/exports/accounting.csv?from=YYYY-MM-DD&amp;to=YYYY-MM-DD</c> and
/// <c>billing export accounting-csv --from --to</c>: the same rows, dates inclusive (UTC days).</summary>
public static class ExportEndpoints
{
    public static void MapExportEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/exports/accounting.csv", async (string? from, string? to, AccountingExport export, CancellationToken ct) =>
        {
            if (!TryRange(from, to, out var range))
            {
                return (IResult)ApiProblems.BadRequest("invalid_range", "from and to are dates YYYY-MM-DD with from <= to.");
            }

            var rows = await export.RowsAsync(range.From, range.To, ct);
            return TypedResults.Text(AccountingExport.ToCsv(rows), "text/csv; charset=utf-8");
        }).RequireAuthorization(Policies.Finance);

    public static Command Command()
    {
        var from = new Option<string>("--from") { Description = "First day (UTC), YYYY-MM-DD.", Required = true };
        var to = new Option<string>("--to") { Description = "Last day (UTC), YYYY-MM-DD, inclusive.", Required = true };
        var output = new Option<string?>("--output") { Description = "Write to this file instead of stdout." };
        var csv = new Command("accounting-csv", "GL-coded rows for invoices finalized, paid, refunded or credited in the range.") { from, to, output }.Accepting();
        csv.SetAction(async (parse, ct) =>
        {
            if (!TryRange(parse.GetValue(from), parse.GetValue(to), out var range))
            {
                await Console.Error.WriteLineAsync("--from and --to are dates YYYY-MM-DD with from <= to");
                return 2;
            }

            await using var app = await CliHost.BuildAsync(parse, ct);
            if (app is null)
            {
                return 2;
            }

            var text = AccountingExport.ToCsv(await app.Services.GetRequiredService<AccountingExport>().RowsAsync(range.From, range.To, ct));
            if (parse.GetValue(output) is { } path)
            {
                await File.WriteAllTextAsync(path, text, ct);
            }
            else
            {
                await Console.Out.WriteAsync(text);
            }

            return 0;
        });
        var export = new Command("export", "Exports for finance.");
        export.Subcommands.Add(csv);
        return export;
    }

    private static bool TryRange(string? from, string? to, out (DateTimeOffset From, DateTimeOffset To) range)
    {
        range = default;
        if (!DateOnly.TryParseExact(from, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var f)
            || !DateOnly.TryParseExact(to, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) || t < f)
        {
            return false;
        }

        range = (new DateTimeOffset(f.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), new DateTimeOffset(t.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
        return true;
    }
}
