using Billing.Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Projections.Engine;

/// <summary>What to read of the log, in commit order, strictly after <see cref="After"/>.</summary>
/// <param name="UpTo">Inclusive commit-order bound (a live checkpoint to catch up to).</param>
/// <param name="MaxGlobalPosition">As-of by log position: only events at or before it.</param>
/// <param name="MaxRecordedAt">As-of by time: only events recorded at or before it.</param>
/// <param name="VisibleOnly">Only transactions older than every running one (the store's
/// rule for never passing an in-flight event). Off only under a table lock that already
/// excludes in-flight writers (the final catch-up of an inline rebuild).</param>
internal sealed record LogQuery(
    LogPosition After,
    int Limit,
    IReadOnlyCollection<string>? Types = null,
    string? TenantId = null,
    LogPosition? UpTo = null,
    long? MaxGlobalPosition = null,
    DateTimeOffset? MaxRecordedAt = null,
    bool VisibleOnly = true);

/// <summary>Reads pages of the log for rebuilds, as-of builds and catch-ups, with bounds the
/// daemon's <see cref="EventStore.ReadAllAsync"/> does not need.</summary>
internal sealed class LogReader(EventStore store)
{
    // Same column order as the event store's reader, so EventStore.ReadEvent materialises rows.
    private const string Sql = """
        SELECT global_position, tx_id, event_id, tenant_id, stream_id, version, type, data::text, metadata::text,
               correlation_id, causation_id, actor, recorded_at
          FROM ledger.events
         WHERE (tx_id, global_position) > ($1, $2)
           AND (NOT $3 OR tx_id < pg_snapshot_xmin(pg_current_snapshot()))
           AND ($4::text IS NULL OR tenant_id = $4)
           AND ($5::text[] IS NULL OR type = ANY ($5))
           AND ($6::xid8 IS NULL OR (tx_id, global_position) <= ($6, $7))
           AND ($8::bigint IS NULL OR global_position <= $8)
           AND ($9::timestamptz IS NULL OR recorded_at <= $9)
         ORDER BY tx_id, global_position
         LIMIT $10
        """;

    public EventStore Store => store;

    public async Task<IReadOnlyList<RecordedEvent>> ReadAsync(LogQuery query, NpgsqlConnection? connection, NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using var command = connection is null ? store.DataSource.CreateCommand(Sql) : new NpgsqlCommand(Sql, connection, tx);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<ulong> { TypedValue = query.After.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        p.Add(new NpgsqlParameter<long> { TypedValue = query.After.GlobalPosition });
        p.Add(new NpgsqlParameter<bool> { TypedValue = query.VisibleOnly });
        p.Add(new NpgsqlParameter { Value = query.TenantId ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = query.Types?.ToArray() ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = query.UpTo is { } upTo ? upTo.TxId : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Xid8 });
        p.Add(new NpgsqlParameter { Value = query.UpTo?.GlobalPosition ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter { Value = query.MaxGlobalPosition ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter { Value = query.MaxRecordedAt ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<int> { TypedValue = query.Limit });
        var events = new List<RecordedEvent>(Math.Min(query.Limit, 10_000));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(store.ReadEvent(reader));
        }

        return events;
    }
}
