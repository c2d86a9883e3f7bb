using System.Diagnostics;
using System.Globalization;
using Billing.Benchmarks.Http;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;
using Billing.Ledger.Time;
using Billing.Ledger.Usage;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Benchmarks;

/// <summary>Closing October for many tenants: tenants are created through
/// <see cref="TenantDirectory"/> and usage through <see cref="UsageIngestion"/> in batches of
/// 1,000 (the same services the endpoints call, minus HTTP), then the clock moves past the
/// period's end plus grace and <see cref="InvoicePeriodClose.CloseManyAsync"/> drafts and
/// finalizes every tenant's invoice. Only the close is timed.</summary>
public sealed partial class IngestBenchmark
{
    private const int SeedParallelism = 8;

    /// <summary>Each seed batch carries 100 events for each of 10 tenants, like a collector
    /// flushing a few customers' traffic.</summary>
    private const int TenantsPerSeedBatch = 10;
    private static readonly BillingPeriod October = new(2026, 10);

    private static async Task RunCloseAsync(BenchHost host, AdjustableClock clock, int tenantCount, int eventCount, CancellationToken ct)
    {
        var metadata = new EventMetadata(CorrelationId: "bench-close", Actor: "benchmark");
        var directory = host.Services.GetRequiredService<TenantDirectory>();
        var ingestion = host.Services.GetRequiredService<UsageIngestion>();
        var ids = Enumerable.Range(1, tenantCount).Select(i => $"close-{i:D5}").ToArray();
        var seeding = Stopwatch.StartNew();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = SeedParallelism, CancellationToken = ct };
        await Parallel.ForEachAsync(ids, parallel, async (id, token) =>
            await directory.CreateAsync(id, new TenantProfile("Close " + id, "starter", "USD", $"billing@{id}.example", "Europe/Berlin", null, null), metadata, token));
        var tenantsTook = seeding.Elapsed;
        await Parallel.ForEachAsync(Enumerable.Range(0, eventCount / BatchSize), parallel, async (b, token) =>
        {
            var from = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
            var span = (long)(clock.GetUtcNow() - from).TotalSeconds;
            var batch = Enumerable.Range(0, BatchSize).Select(i => new UsageInput(
                $"seed-{b}-{i}", ids[(b * TenantsPerSeedBatch + (i / (BatchSize / TenantsPerSeedBatch))) % ids.Length], "api_calls", Random.Shared.Next(1, 500), from.AddSeconds(Random.Shared.NextInt64(span)), null)).ToList();
            var results = await ingestion.IngestAsync(batch, metadata, token);
            if (results.Any(r => r.Status != UsageStatus.Accepted))
            {
                throw new InvalidOperationException("Seeding usage: " + results.First(r => r.Status != UsageStatus.Accepted));
            }
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"close seed: {tenantCount:N0} tenants in {tenantsTook.TotalSeconds:F1} s, {eventCount:N0} usage events in {(seeding.Elapsed - tenantsTook).TotalSeconds:F1} s ({eventCount / (seeding.Elapsed - tenantsTook).TotalSeconds:N0}/s via UsageIngestion)"));

        var close = host.Services.GetRequiredService<InvoicePeriodClose>();
        clock.SetTo(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero) + close.Options.GracePeriod + TimeSpan.FromDays(1));
        var watch = Stopwatch.StartNew();
        var results = await close.CloseManyAsync(null, October, "benchmark", ct);
        var took = watch.Elapsed;
        var failed = results.Where(r => r.Error is not null).ToList();
        // The Host's scheduled close jobs run as deployed and fire for the same period once the
        // clock has moved: a tenant they finalized first is answered Unchanged here, already final.
        var finalized = results.Count(r => r.Result is { Outcome: CloseOutcome.Finalized });
        var finalBefore = results.Count(r => r.Result is { Outcome: CloseOutcome.Unchanged } result && result.Status != "draft");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"close: {results.Count:N0} tenants ({finalized:N0} finalized, {finalBefore:N0} already final by the scheduled close job, {failed.Count} failed) in {took.TotalSeconds:F1} s = {results.Count / took.TotalSeconds:N0} tenants/s, {eventCount / took.TotalSeconds:N0} usage events/s, load {LoadAverage()}"));
        if (failed.Count > 0)
        {
            throw new InvalidOperationException($"{failed.Count} closes failed, first: {failed[0].TenantId}: {failed[0].Error}");
        }
    }
}
