using System.CommandLine;
using System.Globalization;
using Billing.Ledger.Jobs;
using Spectre.Console;

namespace Billing.Host.Cli;

/// <summary><c>billing jobs status|dead-letters|requeue</c>: the durable job queue for operators —
/// backlog by state, dead letters with every attempt's error, and re-queueing one after a fix.</summary>
public static class JobsCli
{
    public static Command Command()
    {
        var jobs = new Command("jobs", "Inspect the durable job queue: backlog, dead letters, re-queue, retention.");
        jobs.Subcommands.Add(Status());
        jobs.Subcommands.Add(DeadLetters());
        jobs.Subcommands.Add(Requeue());
        jobs.Subcommands.Add(Purge());
        return jobs;
    }

    private static async Task<(CliDatabase Db, JobQueue Queue)> OpenAsync(bool quiet, CancellationToken ct)
    {
        var db = await CliProgress.RunAsync("Opening the ledger database", quiet, () => CliDatabase.OpenAsync(CliDatabase.Configuration(), migrate: true, ct));
        return (db, new JobQueue(db.DataSource, TimeProvider.System));
    }

    private static Command Status()
    {
        var json = CliRun.JsonOption();
        var command = new Command("status", "Jobs by state: queued (due), scheduled, running, retrying, dead.") { json };
        CliRun.SetAction(command, async (parse, ct) =>
        {
            var (db, queue) = await OpenAsync(parse.GetValue(json), ct);
            await using var _ = db;
            var counts = await queue.CountsAsync(ct);
            if (parse.GetValue(json))
            {
                await CliRun.WriteJsonAsync(counts);
                return 0;
            }

            var table = new Table().AddColumns("queued", "scheduled", "running", "retrying", "dead", "oldest due");
            table.AddRow(N(counts.Queued), N(counts.Scheduled), N(counts.Running), N(counts.Retrying), N(counts.Dead), counts.OldestDueAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static Command DeadLetters()
    {
        var type = new Option<string?>("--type") { Description = "Only jobs of this type (e.g. invoice.collect)." };
        var limit = new Option<int>("--limit") { Description = "At most this many (newest first).", DefaultValueFactory = _ => 100 };
        var json = CliRun.JsonOption();
        var command = new Command("dead-letters", "Jobs that exhausted their attempts, with the last error (all errors with --json).") { type, limit, json };
        CliRun.SetAction(command, async (parse, ct) =>
        {
            var (db, queue) = await OpenAsync(parse.GetValue(json), ct);
            await using var _ = db;
            var dead = await queue.ListDeadLettersAsync(parse.GetValue(limit), parse.GetValue(type), ct);
            if (parse.GetValue(json))
            {
                await CliRun.WriteJsonAsync(dead);
                return 0;
            }

            var table = new Table().AddColumns("id", "type", "tenant", "attempts", "dead at", "last error");
            foreach (var job in dead)
            {
                table.AddRow(N(job.Id), job.Type, job.TenantId ?? "-", N(job.Attempts), job.DeadAt.ToString("u", CultureInfo.InvariantCulture), Markup.Escape(job.LastError ?? ""));
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static Command Requeue()
    {
        var id = new Argument<long>("id") { Description = "The dead job's id (from `billing jobs dead-letters`)." };
        var json = CliRun.JsonOption();
        var command = new Command("requeue", "Put a dead job back in the queue, due now, with its attempts reset.") { id, json };
        CliRun.SetAction(command, async (parse, ct) =>
        {
            var (db, queue) = await OpenAsync(parse.GetValue(json), ct);
            await using var _ = db;
            var jobId = parse.GetValue(id);
            if (!await queue.RequeueAsync(jobId, ct))
            {
                throw new InvalidOperationException($"no dead job with id {jobId}");
            }

            if (parse.GetValue(json))
            {
                await CliRun.WriteJsonAsync(new { id = jobId, requeued = true });
            }
            else
            {
                await Console.Out.WriteLineAsync($"requeued job {jobId}");
            }

            return 0;
        });
        return command;
    }

    private static Command Purge()
    {
        var olderThan = new Option<int>("--older-than") { Description = "Delete jobs that completed more than this many days ago (at least 1).", Required = true };
        var confirm = new Option<bool>("--confirm") { Description = "Really delete (default: dry run that only counts)." };
        var json = CliRun.JsonOption();
        var command = new Command("purge", "Delete completed jobs older than N days, per type (dry run by default; pending, running and dead jobs are kept).") { olderThan, confirm, json };
        CliRun.SetAction(command, async (parse, ct) =>
        {
            var days = parse.GetValue(olderThan);
            if (days < 1)
            {
                throw new ArgumentException("--older-than must be at least 1 (days)");
            }

            var (db, queue) = await OpenAsync(parse.GetValue(json), ct);
            await using var _ = db;
            var confirmed = parse.GetValue(confirm);
            var purged = await queue.PurgeCompletedAsync(TimeSpan.FromDays(days), confirmed, ct);
            var total = purged.Sum(p => p.Count);
            if (parse.GetValue(json))
            {
                await CliRun.WriteJsonAsync(new { dryRun = !confirmed, olderThanDays = days, jobs = total, byType = purged });
                return 0;
            }

            var table = new Table().AddColumns("type", "completed jobs", "oldest completed");
            foreach (var p in purged)
            {
                table.AddRow(Markup.Escape(p.Type), N(p.Count), p.OldestCompletedAt.ToString("u", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            var verb = confirmed ? "deleted" : "would delete (dry run; add --confirm)";
            await Console.Out.WriteLineAsync($"jobs purge: {verb} {N(total)} completed job(s) older than {N(days)} day(s)");
            return 0;
        });
        return command;
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
