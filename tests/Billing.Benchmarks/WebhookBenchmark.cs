using System.Globalization;
using System.Net.Http.Json;
using Billing.Benchmarks.Http;
using Billing.Ledger.Observability;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Benchmarks;

/// <summary><c>webhooks</c> (issue 5): 16 concurrent senders deliver signed Stripe
/// <c>payment_intent.succeeded</c> events over HTTP on loopback to the real Host's
/// <c>POST /v1/billing/webhook</c>; 10 % of deliveries re-send an event already acknowledged
/// (fresh signature, same body), as Stripe's retries do. Compared with raw PostgreSQL doing the
/// storage part alone: single-row INSERT transactions of the same body at the same concurrency.</summary>
public sealed partial class WebhookBenchmark : IBenchmark
{
    private const int Senders = 16;
    private const double DuplicateShare = 0.10;
    private const string TenantId = "webhook-bench";
    private const double PerSecondTarget = 3_000;
    private const double P99TargetMs = 25;

    /// <summary>The Host's secret (any whsec_ value works; the benchmark signs with it).</summary>
    private static readonly string Secret = "whsec_bench_" + Guid.NewGuid().ToString("N");

    public string Name => "webhooks";

    public async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        // The first case also warms the JIT: the Host compiles ~26,000 methods in its first 30 s
        // under this load (13-26 % of the process's CPU 5-23 s in, measured with perf), which a
        // long-running receiver pays once. So the HTTP case warms 12 s (quick) or 15 s (full)
        // and the later cases 4 s / 5 s; the INSERT + pg_notify case (a diagnosis of the dropped
        // notify trigger) runs only in the full mode, to keep quick under a minute.
        var (warmup, duration) = quick ? (TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)) : (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
        var firstWarmup = quick ? TimeSpan.FromSeconds(12) : TimeSpan.FromSeconds(15);
        var ct = CancellationToken.None;
        await using var database = await BenchDatabase.CreateAsync("webhooks", ct: ct);
        // --without-background: a diagnosis run with the Host's background services (projection
        // engine, job workers, Stripe emulator) removed, to see what they cost the request path.
        var bare = args.Contains("--without-background");
        // --without <Service>: a diagnosis run without the one hosted service named (repeatable).
        var without = args.Zip(args.Skip(1)).Where(p => p.First == "--without").Select(p => p.Second).ToList();
        var configure = bare ? BenchHost.WithoutBackgroundServices : without.Count > 0 ? BenchHost.WithoutServices(without) : null;
        await using var host = await BenchHost.StartAsync(database, [$"--STRIPE_WEBHOOK_SECRET={Secret}"], configure, ct);
        Console.WriteLine($"webhooks: {database.Origin}, Host on {host.BaseAddress}, {Environment.ProcessorCount} cores, load {IngestBenchmark.LoadAverage()}");
        Console.WriteLine(bare ? "DIAGNOSIS: background services removed" : without.Count > 0 ? $"DIAGNOSIS: without {string.Join(", ", without)}" : "Host as deployed (background services running), logging at Error (BenchHost; Information costs ~100-200 us of CPU per delivery, docs/benchmarks.md)");
        Console.WriteLine($"{Senders} senders, {DuplicateShare:P0} re-sent deliveries, {warmup.TotalSeconds:0} s warm-up ({firstWarmup.TotalSeconds:0} s for the first case) + {duration.TotalSeconds:0} s per case");
        await CreateTenantAsync(host, ct);

        await database.CheckpointAsync(ct);
        var counts = new DeliveryCounts();
        LoadResult http;
        string stagesLine;
        using (var stages = new HostStages(host.Services.GetRequiredService<BillingMetrics>()))
        {
            http = await RunHttpAsync(host, database, counts, firstWarmup, duration, ct, stages: stages);
            stagesLine = stages.Report(http);
        }

        // Not in the diagnosis run: without background services nothing processes.
        var backlog = bare || without.Contains("JobWorkerService") ? null : await MeasureBacklogAsync(database, ct);
        var batches = await RecordingBatchesAsync(database, ct);
        await database.CheckpointAsync(ct);
        var inbox = await RunInboxAsync(host, database, warmup, duration, ct);
        await database.CheckpointAsync(ct);
        var raw = await RunRawAsync(database, notify: false, warmup, duration, ct);
        await database.CheckpointAsync(ct);
        var rawNotify = quick ? null : await RunRawAsync(database, notify: true, warmup, duration, ct);
        // Diagnosis only: the same deliveries with a wrong signature. They cross the whole HTTP
        // path (client, Kestrel, middleware, body read, HMAC check, a problem-details answer) and
        // touch no database: the floor HTTP puts under every delivery.
        var floor = bare ? await RunHttpAsync(host, database, counts, warmup, duration, ct, badSignature: true) : null;

        Print("HTTP webhook (deliveries acknowledged)", http);
        Print("StripeWebhookInbox in process (events)", inbox);
        Print("raw INSERT txn of the body (rows)", raw);
        if (rawNotify is not null)
        {
            Print("raw INSERT + pg_notify txn (rows)", rawNotify);
        }
        if (floor is not null)
        {
            Print("HTTP floor: bad signature, 400 (no DB)", floor);
        }
        Console.WriteLine(batches);
        Console.WriteLine(stagesLine);
        if (backlog is not null)
        {
            Console.WriteLine(backlog);
        }

        var ratio = http.ItemsPerSecond / raw.ItemsPerSecond;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"new events stored {counts.Fresh:N0}, duplicates acknowledged {counts.Duplicates:N0} (whole run, warm-up included); HTTP / raw INSERT = {ratio:0.00}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"targets: >= {PerSecondTarget:N0}/s {(http.ItemsPerSecond >= PerSecondTarget ? "met" : "MISSED")}, p99 < {P99TargetMs} ms {(http.P99.TotalMilliseconds < P99TargetMs ? "met" : "MISSED")}; load {IngestBenchmark.LoadAverage()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"webhooks accepted_per_s={http.ItemsPerSecond:F0} p99_ms={http.P99.TotalMilliseconds:F1}"));
        return 0;
    }

    private static async Task CreateTenantAsync(BenchHost host, CancellationToken ct)
    {
        using var admin = await host.CreateAdminClientAsync(ct);
        var body = new { tenantId = TenantId, name = "Webhook Bench", planId = "starter", currency = "USD", billingEmail = "billing@webhook-bench.example", timeZone = "Europe/Berlin" };
        using var response = await admin.PostAsJsonAsync("/v1/tenants", body, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"creating the tenant: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    private static void Print(string label, LoadResult result) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label,-40} {result.ItemsPerSecond,8:N0}/s  p50 {result.P50.TotalMilliseconds,6:F1} ms  p99 {result.P99.TotalMilliseconds,6:F1} ms  CPU {result.CpuMicrosecondsPerItem,6:F0} us/item (client {result.ClientCpu.TotalSeconds:F1} s, server {result.ServerCpu.TotalSeconds:F1} s)"));

    /// <summary>Shared by the senders: what the Host answered.</summary>
    private sealed class DeliveryCounts
    {
        private long _fresh;
        private long _duplicates;

        public long Fresh => Interlocked.Read(ref _fresh);

        public long Duplicates => Interlocked.Read(ref _duplicates);

        public void Add(bool duplicate) => Interlocked.Increment(ref duplicate ? ref _duplicates : ref _fresh);
    }
}
