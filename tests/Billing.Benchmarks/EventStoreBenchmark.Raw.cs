using Billing.Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Benchmarks;

/// <summary>The baselines: the same rows written with plain Npgsql into tables that copy
/// ledger.events' columns, defaults, identity and indexes (<c>LIKE ... INCLUDING ALL</c>).
/// They serialise the same event with the same options, so only the store's own work differs.</summary>
public sealed partial class EventStoreBenchmark
{
    private const string RawSchemaSql = """
        CREATE SCHEMA bench;
        CREATE TABLE bench.raw_copy (LIKE ledger.events INCLUDING ALL);
        CREATE TABLE bench.raw_insert (LIKE ledger.events INCLUDING ALL);
        """;

    private const string RawCopySql = """
        COPY bench.raw_copy (event_id, tenant_id, stream_id, version, type, data, correlation_id, causation_id, actor)
        FROM STDIN (FORMAT BINARY)
        """;

    private const string RawInsertSql = """
        INSERT INTO bench.raw_insert (event_id, tenant_id, stream_id, version, type, data, correlation_id, causation_id, actor)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """;

    private static Func<CancellationToken, Task<int>> RawCopyWorker(EventStore store)
    {
        var streams = StreamIds("copy", StreamsPerBatch);
        var versions = new long[StreamsPerBatch];
        return async ct =>
        {
            await using var connection = await store.DataSource.OpenConnectionAsync(ct);
            await using var importer = await connection.BeginBinaryImportAsync(RawCopySql, ct);
            for (var s = 0; s < StreamsPerBatch; s++)
            {
                for (var e = 0; e < EventsPerStreamInBatch; e++)
                {
                    await importer.StartRowAsync(ct);
                    await importer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, ct);
                    await importer.WriteAsync(Tenant, NpgsqlDbType.Text, ct);
                    await importer.WriteAsync(streams[s], NpgsqlDbType.Text, ct);
                    await importer.WriteAsync(++versions[s], NpgsqlDbType.Bigint, ct);
                    await importer.WriteAsync(BenchPaymentRecorded.WireName, NpgsqlDbType.Text, ct);
                    await importer.WriteAsync(store.Registry.Serialize(Payload), NpgsqlDbType.Jsonb, ct);
                    await importer.WriteAsync(Metadata.CorrelationId, NpgsqlDbType.Text, ct);
                    await importer.WriteNullAsync(ct);
                    await importer.WriteAsync(Metadata.Actor, NpgsqlDbType.Text, ct);
                }
            }

            await importer.CompleteAsync(ct);
            return StreamsPerBatch * EventsPerStreamInBatch;
        };
    }

    private static Func<CancellationToken, Task<int>> RawInsertWorker(EventStore store, int worker)
    {
        var streams = StreamIds($"insert-w{worker}", StreamsPerSingleWorker);
        var versions = new long[StreamsPerSingleWorker];
        var next = 0;
        return async ct =>
        {
            var s = next++ % StreamsPerSingleWorker;
            await using var connection = await store.DataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(RawInsertSql, connection);
            var p = command.Parameters;
            p.Add(new() { Value = Guid.CreateVersion7(), NpgsqlDbType = NpgsqlDbType.Uuid });
            p.Add(new() { Value = Tenant, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = streams[s], NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = versions[s] + 1, NpgsqlDbType = NpgsqlDbType.Bigint });
            p.Add(new() { Value = BenchPaymentRecorded.WireName, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = store.Registry.Serialize(Payload), NpgsqlDbType = NpgsqlDbType.Jsonb });
            p.Add(new() { Value = Metadata.CorrelationId, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = Metadata.Actor, NpgsqlDbType = NpgsqlDbType.Text });
            // Prepared like the store's own append: a round trip only the first time per connection.
            await command.PrepareAsync(ct);
            await command.ExecuteNonQueryAsync(ct);
            versions[s]++;
            return 1;
        };
    }

    private static string[] StreamIds(string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => $"{prefix}-{Guid.NewGuid():N}-{i}")];
}
