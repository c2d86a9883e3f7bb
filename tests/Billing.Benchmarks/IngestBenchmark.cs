using System.Globalization;
using Billing.Benchmarks.Http;
using Billing.Ledger.Time;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Benchmarks;

/// <summary><c>ingest</c> (issue 4): 8 concurrent HttpClients POSTing <c>/v1/usage</c> batches of
/// 1,000 events (5 % of each batch re-sends ids already stored) to the real Host on loopback,
/// against raw binary COPY of the same rows into a copy of <c>ledger.events</c>, in the same run
/// on the same server. Second phase: seed N tenants and M usage events, then time closing their
/// period with <c>InvoicePeriodClose.CloseManyAsync</c>.</summary>
public sealed partial class IngestBenchmark : IBenchmark
{
    private const int Clients = 8;
    private const int BatchSize = 1_000;
    private const int DuplicatesPerBatch = 50;
    private const int HttpTenants = 8;

    /// <summary>Mid-October: the HTTP phase's events and the close phase's usage fall in October.</summary>
    private static readonly DateTimeOffset ClockStart = new(2026, 10, 20, 12, 0, 0, TimeSpan.Zero);

    public string Name => "ingest";

    public async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var (warmup, duration) = quick ? (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4)) : (TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(15));
        var (closeTenants, closeEvents) = quick ? (1_000, 100_000) : (10_000, 1_000_000);
        var ct = CancellationToken.None;
        await using var database = await BenchDatabase.CreateAsync("ingest", ct: ct);
        var clock = new AdjustableClock(ClockStart);
        await using var host = await BenchHost.StartAsync(database, [], b => b.Services.AddSingleton<TimeProvider>(clock), ct);
        Console.WriteLine($"ingest: {database.Origin}, Host on {host.BaseAddress}, {Environment.ProcessorCount} cores, load {LoadAverage()}");
        Console.WriteLine($"HTTP: {Clients} clients x batches of {BatchSize:N0} ({DuplicatesPerBatch} re-sent ids each); COPY: {Clients} workers x {BatchSize:N0} rows; {warmup.TotalSeconds:0} s warm-up + {duration.TotalSeconds:0} s each");

        var tenants = await CreateTenantsAsync(host, ct);
        await database.CheckpointAsync(ct);
        var http = await RunHttpAsync(host, database, tenants, clock, warmup, duration, ct);
        await database.CheckpointAsync(ct);
        var copy = await RunCopyAsync(host, database, tenants, clock, warmup, duration, ct);
        PrintCase("HTTP /v1/usage (events answered)", http.Answered, http.Result);
        PrintCase("HTTP /v1/usage (events stored)", http.Result.Items, http.Result);
        PrintCase("raw binary COPY (rows)", copy.Items, copy);
        var storedPerSecond = http.Result.ItemsPerSecond;
        var ratio = storedPerSecond / copy.ItemsPerSecond;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stored events/s HTTP / COPY rows/s = {ratio:0.00} (target >= 0.40); HTTP events answered/s {http.Answered / http.Result.Elapsed.TotalSeconds:N0} (target >= 25,000)"));

        await database.CheckpointAsync(ct);
        await RunCloseAsync(host, clock, closeTenants, closeEvents, ct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ingest http_events_per_s={http.Answered / http.Result.Elapsed.TotalSeconds:F0} http_vs_copy={ratio:0.00}"));
        return 0;
    }

    private static void PrintCase(string label, long items, LoadResult result)
    {
        var cpu = (result.ClientCpu + result.ServerCpu).TotalMicroseconds / items;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label,-36} {items / result.Elapsed.TotalSeconds,10:N0}/s  p50/op {result.P50.TotalMilliseconds,7:F1} ms  p99/op {result.P99.TotalMilliseconds,7:F1} ms  CPU {cpu,6:F1} us/item (client {result.ClientCpu.TotalSeconds:F1} s, server {result.ServerCpu.TotalSeconds:F1} s)"));
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
