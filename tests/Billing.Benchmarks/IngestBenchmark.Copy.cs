using Billing.Benchmarks.Http;
using Billing.Ledger.EventStore;
using Billing.Ledger.Pricing;
using Billing.Ledger.Time;
using Billing.Ledger.Usage;
using Microsoft.Extensions.DependencyInjection;
using NpgsqlTypes;

namespace Billing.Benchmarks;

/// <summary>The baseline: the rows ingestion writes to <c>ledger.events</c> (same ids, stream
/// naming, type and serialised <see cref="UsageRecorded"/>), written by binary COPY into a table
/// with ledger.events' columns, defaults and indexes, 1,000 rows per COPY, same concurrency.</summary>
public sealed partial class IngestBenchmark
{
    private const string RawSchemaSql = """
        CREATE SCHEMA IF NOT EXISTS bench;
        CREATE TABLE bench.raw_usage (LIKE ledger.events INCLUDING ALL);
        """;

    private const string RawCopySql = """
        COPY bench.raw_usage (event_id, tenant_id, stream_id, version, type, data, correlation_id, causation_id, actor)
        FROM STDIN (FORMAT BINARY)
        """;

    private static async Task<LoadResult> RunCopyAsync(
        BenchHost host, BenchDatabase database, string[] tenants, AdjustableClock clock, TimeSpan warmup, TimeSpan duration, CancellationToken ct)
    {
        await database.ExecuteAsync(RawSchemaSql, ct);
        var registry = host.Services.GetRequiredService<EventTypeRegistry>();
        return await LoadRunner.RunAsync(Clients, warmup, duration, w => CopyWorker(database, registry, w, tenants, clock), database.Cpu, ct);
    }

    private static Func<CancellationToken, Task<int>> CopyWorker(BenchDatabase database, EventTypeRegistry registry, int worker, string[] tenants, AdjustableClock clock)
    {
        var wireName = registry.WireNameOf(typeof(UsageRecorded));
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        // Streams of this worker only, so versions it assigns never collide with another's.
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        var sequence = 0L;
        return async ct =>
        {
            await using var connection = await database.DataSource.OpenConnectionAsync(ct);
            await using var importer = await connection.BeginBinaryImportAsync(RawCopySql, ct);
            for (var i = 0; i < BatchSize; i++)
            {
                var row = UsageRow.Fresh($"copy-w{worker}-{sequence++}", tenants[Random.Shared.Next(tenants.Length)], clock.GetUtcNow());
                var input = new UsageInput(row.Id, row.TenantId, row.Metric, row.Quantity, row.Timestamp, null);
                var streamId = UsageStreams.IdOf(row.TenantId, Random.Shared.Next(UsageStreams.Shards)) + "-w" + worker;
                var version = versions[streamId] = versions.GetValueOrDefault(streamId) + 1;
                var data = new UsageRecorded(row.Id, row.Metric, row.Quantity, row.Timestamp, BillingPeriod.LocalDate(row.Timestamp, berlin), null, input.PayloadHash());
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(UsageInput.EventIdOf(row.TenantId, row.Id), NpgsqlDbType.Uuid, ct);
                await importer.WriteAsync(row.TenantId, NpgsqlDbType.Text, ct);
                await importer.WriteAsync(streamId, NpgsqlDbType.Text, ct);
                await importer.WriteAsync(version, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(wireName, NpgsqlDbType.Text, ct);
                await importer.WriteAsync(registry.Serialize(data), NpgsqlDbType.Jsonb, ct);
                await importer.WriteAsync("bench-copy", NpgsqlDbType.Text, ct);
                await importer.WriteNullAsync(ct);
                await importer.WriteAsync("benchmark", NpgsqlDbType.Text, ct);
            }

            await importer.CompleteAsync(ct);
            return BatchSize;
        };
    }
}
