using Billing.Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Usage;

/// <summary>One increment of the daily rollup.</summary>
public sealed record RollupRow(string TenantId, string Metric, DateOnly Day, int Shard, decimal Quantity, long Events);

/// <summary><c>rm.usage_daily_shards</c>: usage per tenant, metric, local day and stream shard,
/// written in the ingestion's transaction; <c>rm.usage_daily</c> is the view summing shards.
/// Keeping the shard in the key means concurrent requests of one tenant update different rows
/// instead of queueing on one row lock.</summary>
public static class UsageRollup
{
    public const string TruncateSql = "TRUNCATE rm.usage_daily_shards";

    private const string UpsertSql = """
        INSERT INTO rm.usage_daily_shards AS u (tenant_id, metric, day, shard, quantity, event_count)
        SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::int[], $5::numeric[], $6::bigint[])
        ON CONFLICT (tenant_id, metric, day, shard) DO UPDATE
           SET quantity = u.quantity + excluded.quantity, event_count = u.event_count + excluded.event_count
        """;

    /// <summary>Aggregates the rows by key and sorts them, so two transactions always lock rows in
    /// the same order and cannot deadlock.</summary>
    public static NpgsqlBatchCommand Upsert(IEnumerable<RollupRow> rows)
    {
        var merged = rows
            .GroupBy(r => (r.TenantId, r.Metric, r.Day, r.Shard))
            .Select(g => new RollupRow(g.Key.TenantId, g.Key.Metric, g.Key.Day, g.Key.Shard, g.Sum(r => r.Quantity), g.Sum(r => r.Events)))
            .OrderBy(r => r.TenantId, StringComparer.Ordinal).ThenBy(r => r.Metric, StringComparer.Ordinal).ThenBy(r => r.Day).ThenBy(r => r.Shard)
            .ToList();
        var command = new NpgsqlBatchCommand(UpsertSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = merged.Select(r => r.TenantId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = merged.Select(r => r.Metric).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateOnly[]> { TypedValue = merged.Select(r => r.Day).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = merged.Select(r => r.Shard).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = merged.Select(r => r.Quantity).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Numeric });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = merged.Select(r => r.Events).ToArray() });
        return command;
    }

    /// <summary>Rebuilds the rollup from the usage events in the log (truncate, then replay in
    /// pages), in one transaction.</summary>
    public static async Task RebuildAsync(EventStore.EventStore store, CancellationToken ct)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var truncate = new NpgsqlCommand(TruncateSql, connection, tx))
        {
            await truncate.ExecuteNonQueryAsync(ct);
        }

        var position = LogPosition.Start;
        while (true)
        {
            var page = await store.ReadAllAsync(position, 5000, new LogFilter(Types: ["usage.recorded.v1"]), ct);
            if (page.Events.Count == 0)
            {
                break;
            }

            var rows = page.Events.Select(e => (e, u: (UsageRecorded)e.Data))
                .Select(x => new RollupRow(x.e.TenantId, x.u.Metric, x.u.LocalDay, UsageStreams.ShardOf(x.e.StreamId), x.u.Quantity, 1));
            await using var batch = new NpgsqlBatch(connection, tx) { BatchCommands = { Upsert(rows) } };
            await batch.ExecuteNonQueryAsync(ct);
            position = page.Next;
        }

        await tx.CommitAsync(ct);
    }
}
