using System.CommandLine;
using Billing.Projections;
using Spectre.Console;

namespace Billing.Host.Projections;

/// <summary><c>billing projections ...</c>: status, rebuild/verify, as-of export, dead letters.</summary>
public static partial class ProjectionsCommand
{
    public static Command Create()
    {
        var command = new Command("projections", "Read-model projections: status, rebuild (--verify), as-of exports, dead letters.");
        command.Subcommands.Add(ListCommand());
        command.Subcommands.Add(RebuildCommand());
        command.Subcommands.Add(AsOfCommand());
        command.Subcommands.Add(DeadLettersCommand());
        command.Subcommands.Add(RetryCommand());
        return command;
    }

    private static Command ListCommand()
    {
        var command = new Command("list", "Each projection's mode, state, checkpoint, lag, owner node and open dead letters.");
        command.SetAction(async (parse, ct) =>
        {
            await using var app = await BillingApp.BuildAsync([], ct);
            var statuses = await app.Services.GetRequiredService<ProjectionStatusReader>().ReadAllAsync(ct);
            var table = new Table().AddColumns("name", "mode", "state", "checkpoint", "head", "lag events", "lag s", "owner", "healthy", "dead letters");
            foreach (var s in statuses)
            {
                table.AddRow(Markup.Escape(s.Name), s.Mode, s.State, $"{s.Checkpoint}", $"{s.Head}", $"{s.LagEvents}", $"{s.LagSeconds:F1}", Markup.Escape(s.Owner ?? "-"), s.Healthy ? "yes" : "[red]no[/]", $"{s.OpenDeadLetters}");
            }

            AnsiConsole.Write(table);
            return statuses.All(s => s.Healthy) ? 0 : 1;
        });
        return command;
    }

    private static Command RebuildCommand()
    {
        var name = new Argument<string>("name") { Description = "Projection to rebuild." };
        var verify = new Option<bool>("--verify") { Description = "Build the shadow and compare it with the live tables; do not swap. Exit 1 on any difference." };
        var command = new Command("rebuild", "Rebuild from position zero into shadow tables, then swap atomically (or --verify).");
        command.Arguments.Add(name);
        command.Options.Add(verify);
        command.SetAction(async (parse, ct) =>
        {
            await using var app = await BillingApp.BuildAsync([], ct);
            var rebuilder = app.Services.GetRequiredService<ProjectionRebuilder>();
            var projection = parse.GetValue(name)!;
            RebuildResult? result = null;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(projection), maxValue: 100);
                    var progress = new ConsoleProgress(p =>
                    {
                        task.Value = p.Percent;
                        task.Description = Markup.Escape($"{projection}: {p.Events:N0}/{p.Total:N0} events, {p.EventsPerSecond:N0}/s, ETA {p.Eta?.TotalSeconds ?? 0:F0}s");
                    });
                    result = await rebuilder.RebuildAsync(projection, new RebuildOptions(VerifyOnly: parse.GetValue(verify), Progress: progress), ct);
                    task.Value = 100;
                });
            return Report(result!);
        });
        return command;
    }

    private static int Report(RebuildResult result)
    {
        AnsiConsole.MarkupLine(Markup.Escape($"{result.Projection}: {result.Events:N0} events in {result.Elapsed.TotalSeconds:F1}s ({result.EventsPerSecond:N0}/s), {(result.Swapped ? "swapped in" : "not swapped")}"));
        if (result.Verify is not { } report)
        {
            return 0;
        }

        foreach (var t in report.Tables)
        {
            AnsiConsole.MarkupLine(Markup.Escape($"{t.Table}: live {t.LiveRows} rows ({t.LiveChecksum}), rebuilt {t.ShadowRows} rows ({t.ShadowChecksum}) -> {(t.Identical ? "identical" : "DIFFERENT")}"));
            foreach (var row in t.OnlyInLive)
            {
                AnsiConsole.MarkupLine(Markup.Escape($"  only live:    {row}"));
            }

            foreach (var row in t.OnlyInShadow)
            {
                AnsiConsole.MarkupLine(Markup.Escape($"  only rebuilt: {row}"));
            }
        }

        return report.Identical ? 0 : 1;
    }

    private sealed class ConsoleProgress(Action<RebuildProgress> report) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) => report(value);
    }
}
