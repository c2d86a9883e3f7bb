using Billing.Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Projections.Engine;

/// <summary>What to read of the log, in <c>global_position</c> order, strictly after
/// <see cref="After"/> and at most up to <see cref="UpTo"/>, which must be a settled position
/// (<see cref="LogFence"/>) unless the caller holds a lock that keeps writers out.</summary>
/// <param name="MaxRecordedAt">As-of by time: only events recorded at or before it.</param>
/// <param name="WithData">False: headers only, each event's data is <see cref="EventDataNotRead.Instance"/>.</param>
internal sealed record LogQuery(
    long After,
    int Limit,
    long? UpTo,
    IReadOnlyCollection<string>? Types = null,
    string? TenantId = null,
    DateTimeOffset? MaxRecordedAt = null,
    bool WithData = true);

/// <summary>Reads pages of the log for the daemon, rebuilds, as-of builds and catch-ups.</summary>
internal sealed class LogReader(EventStore store)
{
    // Same column order as the event store's reader, so EventStore.ReadEvent materialises rows.
    // {0} is the data column: the payload as text, or 'null' for a header-only read (the server
    // then neither renders nor sends payloads).
    private const string SqlFormat = """
        SELECT global_position, tx_id, event_id, tenant_id, stream_id, version, type, {0}, metadata::text,
               correlation_id, causation_id, actor, recorded_at
          FROM ledger.events
         WHERE global_position > $1
           AND ($2::bigint IS NULL OR global_position <= $2)
           AND ($3::text IS NULL OR tenant_id = $3)
           AND ($4::text[] IS NULL OR type = ANY ($4))
           AND ($5::timestamptz IS NULL OR recorded_at <= $5)
         ORDER BY global_position
         LIMIT $6
        """;

    private static readonly string Sql = string.Format(System.Globalization.CultureInfo.InvariantCulture, SqlFormat, "data::text");
    private static readonly string HeadersSql = string.Format(System.Globalization.CultureInfo.InvariantCulture, SqlFormat, "'null'::text");

    public EventStore Store => store;

    public async Task<IReadOnlyList<RecordedEvent>> ReadAsync(LogQuery query, NpgsqlConnection? connection, NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using var command = CreateCommand(query, connection, tx);
        var events = new List<RecordedEvent>(Math.Min(query.Limit, 10_000));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(query.WithData ? Materialize(reader) : store.MaterializeHeaders(EventStore.ReadRow(reader)));
        }

        return events;
    }

    /// <summary>Reads and deserialises the current row.</summary>
    public RecordedEvent Materialize(NpgsqlDataReader reader) => store.ReadEvent(reader);

    public RecordedEvent Materialize(in StoredEventRow row) => store.Materialize(row);

    /// <summary>The query as a command, for callers that stream its rows.</summary>
    public NpgsqlCommand CreateCommand(LogQuery query, NpgsqlConnection? connection, NpgsqlTransaction? tx)
    {
        var sql = query.WithData ? Sql : HeadersSql;
        var command = connection is null ? store.DataSource.CreateCommand(sql) : new NpgsqlCommand(sql, connection, tx);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<long> { TypedValue = query.After });
        p.Add(new NpgsqlParameter { Value = query.UpTo ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter { Value = query.TenantId ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = query.Types?.ToArray() ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = query.MaxRecordedAt ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<int> { TypedValue = query.Limit });
        return command;
    }
}
