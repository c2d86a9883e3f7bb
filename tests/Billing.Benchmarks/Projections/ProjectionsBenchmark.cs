using System.Diagnostics;
using System.Globalization;
using Billing.Ledger.EventStore;
using Billing.Ledger.Postgres;
using Billing.Projections;
using Billing.Projections.StreamActivity;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Benchmarks.Projections;

/// <summary><c>projections</c>: seeds the log with binary COPY into a throwaway cluster, rebuilds
/// a simple batch-written projection, and times a raw client-side scan of the same events.
/// Also reports, for comparison, the same projection rebuilt with per-page upserts instead of its
/// in-memory fold, and a per-event projection's rebuild rate.</summary>
public sealed class ProjectionsBenchmark : IBenchmark
{
    private const string ScanSql = """
        SELECT global_position, tx_id, event_id, tenant_id, stream_id, version, type, data::text, metadata::text,
               correlation_id, causation_id, actor, recorded_at
          FROM ledger.events ORDER BY global_position
        """;

    public string Name => "projections";

    public async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var events = quick ? 100_000 : 1_000_000;
        var dir = Path.Combine(Path.GetTempPath(), "billing-bench-projections-" + Guid.NewGuid().ToString("N")[..8]);
        await using var cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir, Persistent: false, Durable: false));
        await cluster.CreateDatabaseAsync("bench");
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString("bench"));
        await Migrator.ForLedger(dataSource, typeof(ProjectionsAssembly).Assembly).ApplyAsync();
        var store = new EventStore(dataSource, new EventTypeRegistry().RegisterAssembly(typeof(ProjectionsBenchmark).Assembly));
        var catalog = new ProjectionCatalog(
        [
            new ProjectionRegistration(new UsageTotalsProjection(), ProjectionMode.Inline),
            new ProjectionRegistration(new StreamActivityProjection(), ProjectionMode.Inline),
        ]);
        await new ReadModelSchema(dataSource, catalog).EnsureAsync();

        var seed = Stopwatch.StartNew();
        await SeedAsync(dataSource, events);
        Console.WriteLine($"seeded {events:N0} events in {seed.Elapsed.TotalSeconds:F1} s (binary COPY)");

        var scan = await ScanAsync(dataSource);
        Console.WriteLine($"raw scan: {scan:F0} events/s");
        var upserts = await new ProjectionRebuilder(store, catalog).RebuildAsync("bench_usage_totals", new RebuildOptions(FoldRowLimit: 0));
        Console.WriteLine($"rebuild bench_usage_totals (one upsert per page): {upserts.Events:N0} events in {upserts.Elapsed.TotalSeconds:F2} s = {upserts.EventsPerSecond:F0} events/s; {upserts.Timings}");
        var rebuild = await new ProjectionRebuilder(store, catalog).RebuildAsync("bench_usage_totals");
        Console.WriteLine($"rebuild bench_usage_totals (fold in memory, one binary COPY): {rebuild.Events:N0} events in {rebuild.Elapsed.TotalSeconds:F2} s = {rebuild.EventsPerSecond:F0} events/s; {rebuild.Timings}");
        var perEventCount = Math.Min(events, 100_000);
        var perEvent = await PerEventRateAsync(store, catalog, perEventCount);
        Console.WriteLine($"rebuild stream_activity without its fold (one upsert per page, first {perEventCount:N0} events' worth): {perEvent:F0} events/s");

        var ratio = rebuild.EventsPerSecond / scan;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"projections rebuild_events_per_s={rebuild.EventsPerSecond:F0} rebuild_vs_scan={ratio:F2}"));
        return 0;
    }

    private static async Task SeedAsync(NpgsqlDataSource dataSource, int count)
    {
        const int streams = 10_000;
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var import = await connection.BeginBinaryImportAsync(
            "COPY ledger.events (event_id, tenant_id, stream_id, version, type, data, metadata, recorded_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < count; i++)
            {
                var stream = i % streams;
                await import.StartRowAsync();
                await import.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                await import.WriteAsync($"tenant-{stream % 100}", NpgsqlDbType.Text);
                await import.WriteAsync($"usage-{stream}", NpgsqlDbType.Text);
                await import.WriteAsync((long)(i / streams) + 1, NpgsqlDbType.Bigint);
                await import.WriteAsync("bench.usage_recorded.v1", NpgsqlDbType.Text);
                await import.WriteAsync($$"""{"meter":"api_calls","quantity":{{(i % 7) + 1}}}""", NpgsqlDbType.Jsonb);
                await import.WriteAsync("{}", NpgsqlDbType.Jsonb);
                await import.WriteAsync(start.AddSeconds(i), NpgsqlDbType.TimestampTz);
            }

            await import.CompleteAsync();
        }

        await using var analyze = new NpgsqlCommand("ANALYZE ledger.events", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    /// <summary>Reads every event with the rebuild's columns, materialising nothing but the raw values.</summary>
    private static async Task<double> ScanAsync(NpgsqlDataSource dataSource)
    {
        var clock = Stopwatch.StartNew();
        await using var command = dataSource.CreateCommand(ScanSql);
        await using var reader = await command.ExecuteReaderAsync();
        long rows = 0;
        long checksum = 0;
        while (await reader.ReadAsync())
        {
            checksum += reader.GetInt64(0) + reader.GetString(7).Length + reader.GetString(4).Length;
            rows++;
        }

        GC.KeepAlive(checksum);
        return rows / clock.Elapsed.TotalSeconds;
    }

    /// <summary>A per-event projection (its fold switched off, so every event is an upsert) over a smaller log (a fresh database would cost a second
    /// seed; instead the rate is taken from a rebuild of the whole log, capped by time).</summary>
    private static async Task<double> PerEventRateAsync(EventStore store, ProjectionCatalog catalog, int events)
    {
        using var cap = new CancellationTokenSource();
        double rate = 0;
        var progress = new InlineProgress(p =>
        {
            rate = p.EventsPerSecond;
            if (p.Events >= events)
            {
                cap.Cancel();
            }
        });
        try
        {
            var result = await new ProjectionRebuilder(store, catalog).RebuildAsync("stream_activity", new RebuildOptions(Progress: progress, FoldRowLimit: 0), cap.Token);
            return result.EventsPerSecond;
        }
        catch (OperationCanceledException) when (cap.IsCancellationRequested)
        {
            return rate;
        }
    }

    private sealed class InlineProgress(Action<RebuildProgress> report) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) => report(value);
    }
}
