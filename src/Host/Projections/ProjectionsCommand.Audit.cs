using System.CommandLine;
using System.Globalization;
using Billing.Projections;
using Spectre.Console;

namespace Billing.Host.Projections;

public static partial class ProjectionsCommand
{
    private static Command AsOfCommand()
    {
        var name = new Argument<string>("name") { Description = "Projection to build as of a past point." };
        var at = new Option<string?>("--at") { Description = "Only events recorded at or before this UTC timestamp (ISO 8601)." };
        var position = new Option<long?>("--position") { Description = "Only events at or before this global log position." };
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's events." };
        var output = new Option<FileInfo>("--out") { Description = "Output file: .csv (one table, see --table) or .json (all tables).", Required = true };
        var table = new Option<string?>("--table") { Description = "Table to export as CSV (default: the projection's first)." };
        var command = new Command("as-of", "Build a projection as it stood at a timestamp or log position into an export, for audits.");
        command.Arguments.Add(name);
        command.Options.Add(at);
        command.Options.Add(position);
        command.Options.Add(tenant);
        command.Options.Add(output);
        command.Options.Add(table);
        command.SetAction(async (parse, ct) =>
        {
            var atText = parse.GetValue(at);
            if (atText is null && parse.GetValue(position) is null)
            {
                await Console.Error.WriteLineAsync("as-of needs --at <timestamp> or --position <n>.");
                return 2;
            }

            if (atText is not null && !DateTimeOffset.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
            {
                await Console.Error.WriteLineAsync($"--at '{atText}' is not an ISO 8601 timestamp.");
                return 2;
            }

            var moment = atText is null ? (DateTimeOffset?)null : DateTimeOffset.Parse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();
            var file = parse.GetValue(output)!;
            var format = file.Extension.Equals(".csv", StringComparison.OrdinalIgnoreCase) ? AsOfFormat.Csv : AsOfFormat.Json;
            await using var app = await BillingApp.BuildAsync([], ct);
            var options = new AsOfOptions(parse.GetValue(position), moment, parse.GetValue(tenant));
            await using var stream = file.Create();
            var rows = await app.Services.GetRequiredService<AsOfBuilder>().ExportAsync(parse.GetValue(name)!, options, format, stream, parse.GetValue(table), ct);
            await Console.Out.WriteLineAsync($"{rows} rows as of {options} written to {file.FullName}");
            return 0;
        });
        return command;
    }

    private static Command DeadLettersCommand()
    {
        var projection = new Option<string?>("--projection") { Description = "Only this projection's dead letters." };
        var all = new Option<bool>("--all") { Description = "Include resolved ones." };
        var command = new Command("dead-letters", "Events projections failed to apply after their retries.");
        command.Options.Add(projection);
        command.Options.Add(all);
        command.SetAction(async (parse, ct) =>
        {
            await using var app = await BillingApp.BuildAsync([], ct);
            var letters = await app.Services.GetRequiredService<DeadLetterStore>().ListAsync(parse.GetValue(projection), parse.GetValue(all), ct);
            var table = new Table().AddColumns("id", "projection", "position", "event", "type", "tenant/stream", "attempts", "status", "error");
            foreach (var l in letters)
            {
                table.AddRow($"{l.Id}", Markup.Escape(l.Projection), $"{l.Position}", $"{l.EventId}", Markup.Escape(l.EventType), Markup.Escape($"{l.TenantId}/{l.StreamId}"), $"{l.Attempts}", l.Status, Markup.Escape(l.Error));
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static Command RetryCommand()
    {
        var id = new Argument<long>("id") { Description = "Dead letter id (see dead-letters)." };
        var command = new Command("retry-dead-letter", "Retry an open dead letter: a paused projection resumes from it; a skipped event is applied now.");
        command.Arguments.Add(id);
        command.SetAction(async (parse, ct) =>
        {
            await using var app = await BillingApp.BuildAsync([], ct);
            try
            {
                var retry = await app.Services.GetRequiredService<DeadLetterStore>().RetryAsync(parse.GetValue(id), ct);
                await Console.Out.WriteLineAsync($"dead letter {retry.Id}: {retry.Outcome}{(retry.Error is null ? "" : " - " + retry.Error)}");
                return retry.Outcome == "failed" ? 1 : 0;
            }
            catch (DeadLetterNotFoundException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 1;
            }
        });
        return command;
    }
}
