using Npgsql;

namespace Billing.Ledger.Usage;

/// <summary>What a purge archives (or would archive) for one tenant and period.</summary>
public sealed record PurgeGroup(string TenantId, string Period, long Events, decimal Quantity);

/// <summary><c>billing usage purge --older-than N [--confirm]</c>: raw usage recorded more than N
/// days ago whose period already has a final invoice is moved to <c>ledger.usage_archive</c>,
/// leaving per-day sums in <c>ledger.usage_summaries</c>. Usage of periods still in draft (or
/// never invoiced) is never touched. One transaction: all of it moves or none.</summary>
public sealed class UsageRetention(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private const string SelectSql = """
        CREATE TEMP TABLE purge_set ON COMMIT DROP AS
        SELECT e.global_position, e.tenant_id, e.data->>'metric' AS metric, (e.data->>'localDay')::date AS day,
               (e.data->>'quantity')::numeric AS quantity
          FROM ledger.events e
          JOIN rm.invoices i ON i.tenant_id = e.tenant_id AND i.period = left(e.data->>'localDay', 7) AND i.status <> 'draft'
         WHERE e.type = 'usage.recorded.v1' AND e.recorded_at < $1
        """;

    private const string ReportSql = """
        SELECT tenant_id, to_char(day, 'YYYY-MM'), count(*), sum(quantity) FROM purge_set GROUP BY 1, 2 ORDER BY 1, 2
        """;

    private const string ArchiveSql = """
        INSERT INTO ledger.usage_summaries AS s (tenant_id, metric, day, quantity, event_count)
        SELECT tenant_id, metric, day, sum(quantity), count(*) FROM purge_set GROUP BY 1, 2, 3
        ON CONFLICT (tenant_id, metric, day) DO UPDATE
           SET quantity = s.quantity + excluded.quantity, event_count = s.event_count + excluded.event_count;
        INSERT INTO ledger.usage_archive (global_position, tx_id, event_id, tenant_id, stream_id, version, type, data, metadata,
                                          correlation_id, causation_id, actor, recorded_at)
        SELECT e.global_position, e.tx_id, e.event_id, e.tenant_id, e.stream_id, e.version, e.type, e.data, e.metadata,
               e.correlation_id, e.causation_id, e.actor, e.recorded_at
          FROM ledger.events e JOIN purge_set p USING (global_position);
        DELETE FROM ledger.events e USING purge_set p WHERE e.global_position = p.global_position;
        """;

    public async Task<IReadOnlyList<PurgeGroup>> PurgeAsync(int olderThanDays, bool confirm, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(olderThanDays);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var select = new NpgsqlCommand(SelectSql, connection, tx))
        {
            select.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = clock.GetUtcNow().AddDays(-olderThanDays) });
            await select.ExecuteNonQueryAsync(ct);
        }

        var groups = new List<PurgeGroup>();
        await using (var report = new NpgsqlCommand(ReportSql, connection, tx))
        await using (var reader = await report.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                groups.Add(new PurgeGroup(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetDecimal(3)));
            }
        }

        if (confirm && groups.Count > 0)
        {
            await using var archive = new NpgsqlCommand(ArchiveSql, connection, tx);
            await archive.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
        }
        else
        {
            await tx.RollbackAsync(ct);
        }

        return groups;
    }
}
