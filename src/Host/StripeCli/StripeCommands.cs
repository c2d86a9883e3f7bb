using System.CommandLine;
using Billing.Ledger.Stripe;
using Billing.Ledger.Stripe.Usage;
using Billing.Ledger.Stripe.Webhooks;

namespace Billing.Host.StripeCli;

/// <summary>Stripe operator commands: <c>billing usage flush-now|flush-hourly</c>,
/// <c>billing preflight</c>, <c>billing stripe webhooks process-pending</c>.</summary>
public static class StripeCommands
{
    public static void AddTo(RootCommand root)
    {
        var usage = root.Subcommands.FirstOrDefault(c => c.Name == "usage");
        if (usage is null)
        {
            usage = new Command("usage", "Stored usage and its export to Stripe meters.");
            root.Subcommands.Add(usage);
        }

        usage.Subcommands.Add(Flush("flush-now", "Export pending usage to Stripe meters in one pass. Dry run unless LIVE=true and --confirm.", attempts: 1));
        usage.Subcommands.Add(Flush("flush-hourly", "Like flush-now, with up to 3 attempts and backoff (for the hourly scheduler).", attempts: 3));
        usage.Subcommands.Add(EnqueueHourly());
        root.Subcommands.Add(Preflight());
        root.Subcommands.Add(SmokeOrg());
        var webhooks = new Command("webhooks", "Stripe webhook receipts.");
        webhooks.Subcommands.Add(ProcessPending());
        var stripe = new Command("stripe", "Stripe integration.");
        stripe.Subcommands.Add(webhooks);
        stripe.Subcommands.Add(Emulator());
        root.Subcommands.Add(stripe);
    }

    private static Command Flush(string name, string description, int attempts)
    {
        var confirm = new Option<bool>("--confirm") { Description = "Send for real (also needs LIVE=true in the environment)." };
        var command = new Command(name, description) { confirm };
        command.SetAction(async (parse, ct) =>
        {
            var mode = UsageExportGate.ModeFor(Environment.GetEnvironmentVariable("LIVE"), parse.GetValue(confirm));
            await using var app = await BillingApp.BuildAsync([], ct);
            var export = app.Services.GetRequiredService<StripeUsageExport>();
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var result = await export.FlushAsync(mode, ct);
                    await Console.Out.WriteLineAsync(result.ToString());
                    return 0;
                }
                catch (Exception ex) when (ex is StripeApiException or StripeUnavailableException && attempt < attempts)
                {
                    await Console.Error.WriteLineAsync($"attempt {attempt} failed: {ex.Message}; retrying");
                    await Task.Delay(TimeSpan.FromSeconds(Math.Pow(4, attempt)), ct);
                }
                catch (Exception ex) when (ex is StripeApiException or StripeUnavailableException)
                {
                    await Console.Error.WriteLineAsync($"usage flush failed: {ex.Message} (the batch resumes on the next run)");
                    return 1;
                }
            }
        });
        return command;
    }

    private static Command EnqueueHourly()
    {
        var confirm = new Option<bool>("--confirm") { Description = "The job sends for real (also needs LIVE=true in the environment)." };
        var command = new Command("enqueue-hourly", "Enqueue this hour's usage flush as a durable job (once per hour; retried by the job queue).") { confirm };
        command.SetAction(async (parse, ct) =>
        {
            var mode = UsageExportGate.ModeFor(Environment.GetEnvironmentVariable("LIVE"), parse.GetValue(confirm));
            await using var app = await BillingApp.BuildAsync([], ct);
            var store = app.Services.GetRequiredService<Billing.Ledger.EventStore.EventStore>();
            var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
            await StripeUsageFlushJob.Enqueue(store.BeginUnitOfWork(new Billing.Ledger.EventStore.EventMetadata(Actor: "cli:usage")), mode, now).CommitAsync(ct);
            await Console.Out.WriteLineAsync($"enqueued {StripeUsageFlushJob.Type} mode={(mode == UsageExportMode.Live ? "live" : "dry-run")} dedupe_key={StripeUsageFlushJob.DedupeKey(now)}");
            return 0;
        });
        return command;
    }

    private static Command Preflight()
    {
        var requireEnabled = new Option<bool>("--require-enabled") { Description = "Fail unless billing is enabled with real keys, secrets and database." };
        var failClosed = new Option<bool>("--fail-closed") { Description = "Exit 1 when any check fails." };
        var command = new Command("preflight", "Check billing-critical configuration (keys, webhook secrets, database, schema).") { requireEnabled, failClosed };
        command.SetAction(async (parse, ct) =>
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var checks = await StripePreflight.RunAsync(configuration, parse.GetValue(requireEnabled), ct);
            foreach (var check in checks)
            {
                await Console.Out.WriteLineAsync(check.ToString());
            }

            var failed = checks.Count(c => c.Status == CheckStatus.Fail);
            await Console.Out.WriteLineAsync($"preflight: {(failed == 0 ? "ok" : $"{failed} check(s) failed")}");
            return failed > 0 && parse.GetValue(failClosed) ? 1 : 0;
        });
        return command;
    }

    private static Command ProcessPending()
    {
        var limit = new Option<int>("--limit") { Description = "At most this many events.", DefaultValueFactory = _ => 1000 };
        var command = new Command("process-pending", "Process recorded webhook events that were never processed (backlog drain).") { limit };
        command.SetAction(async (parse, ct) =>
        {
            await using var app = await BillingApp.BuildAsync([], ct);
            // Recorded events the dispatcher has not reached yet (no Host running) get their
            // receipts first, so the drain sees them; their jobs then find them processed.
            var dispatched = await app.Services.GetRequiredService<StripeWebhookDispatcher>().DispatchAllAsync(ct);
            var run = await app.Services.GetRequiredService<StripeWebhookProcessor>().ProcessPendingAsync(parse.GetValue(limit), ct);
            foreach (var (id, error) in run.Failed)
            {
                await Console.Error.WriteLineAsync($"{id}: {error}");
            }

            await Console.Out.WriteLineAsync($"dispatched={dispatched} pending={run.Pending} processed={run.Processed} failed={run.Failed.Count}");
            return run.Failed.Count > 0 ? 1 : 0;
        });
        return command;
    }

    private static Command Emulator()
    {
        var port = new Option<int>("--port") { Description = "Loopback port (0: any free port).", DefaultValueFactory = _ => 12111 };
        var webhookUrl = new Option<string?>("--webhook-url") { Description = "Where to POST signed events, e.g. http://127.0.0.1:5080/v1/billing/webhook." };
        var secret = new Option<string?>("--webhook-secret") { Description = "Signing secret (default: STRIPE_WEBHOOK_SECRET's first value, else generated and printed)." };
        var command = new Command("emulator", "Run the local Stripe emulator on 127.0.0.1 until Ctrl-C (control API under /_emulator).") { port, webhookUrl, secret };
        command.SetAction(async (parse, ct) =>
        {
            var configured = parse.GetValue(secret) ?? Environment.GetEnvironmentVariable("STRIPE_WEBHOOK_SECRET")?.Split(',', StringSplitOptions.TrimEntries)[0];
            var options = new StripeEmulator.StripeEmulatorOptions
            {
                Port = parse.GetValue(port),
                WebhookEndpoint = parse.GetValue(webhookUrl) is { Length: > 0 } url ? new Uri(url) : null,
            };
            options = string.IsNullOrWhiteSpace(configured) ? options : options with { WebhookSecret = configured };
            await using var emulator = await StripeEmulator.StripeEmulator.StartAsync(options, ct);
            await Console.Out.WriteLineAsync($"Stripe emulator at {emulator.BaseUrl} (key: {StripeEmulator.StripeEmulator.DefaultSecretKey}); webhooks to {options.WebhookEndpoint?.ToString() ?? "(none)"}");
            if (string.IsNullOrWhiteSpace(configured))
            {
                // A generated test secret for a local tool, printed so the receiver can be configured with it.
                await Console.Out.WriteLineAsync($"webhook secret: {emulator.Webhooks.Secret}");
            }

            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await Console.Out.WriteLineAsync("stopping");
            }

            return 0;
        });
        return command;
    }

    private static Command SmokeOrg()
    {
        var org = new Option<string>("--org-id") { Description = "The tenant to check.", Required = true };
        var wait = new Option<int>("--webhook-wait-seconds") { Description = "How long to wait for the webhook.", DefaultValueFactory = _ => 30 };
        var failClosed = new Option<bool>("--fail-closed") { Description = "Exit 1 when any step fails." };
        var command = new Command("smoke-org", "Run one tenant end to end in Stripe test mode (customer, charge, list, webhook, refund) and print a report.") { org, wait, failClosed };
        command.SetAction(async (parse, ct) =>
        {
            // Listening on loopback lets the embedded emulator deliver its webhooks to this process.
            await using var app = await BillingApp.BuildAsync(["--urls=http://127.0.0.1:0"], ct);
            await app.StartAsync(ct);
            var checks = await ActivatorUtilities.CreateInstance<StripeSmokeCheck>(app.Services)
                .RunAsync(parse.GetValue(org)!, TimeSpan.FromSeconds(parse.GetValue(wait)), ct);
            foreach (var check in checks)
            {
                await Console.Out.WriteLineAsync(check.ToString());
            }

            var failed = checks.Count(c => c.Status == CheckStatus.Fail);
            await Console.Out.WriteLineAsync($"smoke-org: {(failed == 0 ? "ok" : $"{failed} step(s) failed")}");
            await app.StopAsync(ct);
            return failed > 0 && parse.GetValue(failClosed) ? 1 : 0;
        });
        return command;
    }
}
