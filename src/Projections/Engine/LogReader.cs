using System.Text.Json;
using Billing.Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Projections.Engine;

/// <summary>What to read of the log, in <c>global_position</c> order, strictly after
/// <see cref="After"/> and at most up to <see cref="UpTo"/>, which must be a settled position
/// (<see cref="LogFence"/>) unless the caller holds a lock that keeps writers out.</summary>
/// <param name="MaxRecordedAt">As-of by time: only events recorded at or before it.</param>
internal sealed record LogQuery(
    long After,
    int Limit,
    long? UpTo,
    IReadOnlyCollection<string>? Types = null,
    string? TenantId = null,
    DateTimeOffset? MaxRecordedAt = null);

/// <summary>One row of the log as read, before its JSON is deserialised.</summary>
internal readonly record struct RawEvent(
    long GlobalPosition,
    ulong TxId,
    Guid EventId,
    string TenantId,
    string StreamId,
    long Version,
    string Type,
    string Data,
    string Metadata,
    string? CorrelationId,
    string? CausationId,
    string? Actor,
    DateTimeOffset RecordedAt);

/// <summary>Reads pages of the log for the daemon, rebuilds, as-of builds and catch-ups.</summary>
internal sealed class LogReader(EventStore store)
{
    // Same column order as the event store's reader, so EventStore.ReadEvent materialises rows.
    private const string Sql = """
        SELECT global_position, tx_id, event_id, tenant_id, stream_id, version, type, data::text, metadata::text,
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

    public EventStore Store => store;

    public async Task<IReadOnlyList<RecordedEvent>> ReadAsync(LogQuery query, NpgsqlConnection? connection, NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using var command = CreateCommand(query, connection, tx);
        var events = new List<RecordedEvent>(Math.Min(query.Limit, 10_000));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(Materialize(reader));
        }

        return events;
    }

    /// <summary>Reads and deserialises the current row.</summary>
    public RecordedEvent Materialize(NpgsqlDataReader reader) => Materialize(ReadRaw(reader));

    /// <summary>The current row's values, JSON still text: cheap, so a streaming reader can hand
    /// the deserialisation (the costly part) to other threads.</summary>
    public static RawEvent ReadRaw(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetFieldValue<ulong>(1), reader.GetGuid(2), reader.GetString(3), reader.GetString(4),
        reader.GetInt64(5), reader.GetString(6), reader.GetString(7), reader.GetString(8),
        reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.IsDBNull(10) ? null : reader.GetString(10),
        reader.IsDBNull(11) ? null : reader.GetString(11),
        reader.GetFieldValue<DateTimeOffset>(12));

    /// <summary>What the store's <see cref="EventStore.ReadEvent"/> builds, minus the cost that
    /// dominates a replay: most events carry no headers, and parsing <c>{}</c> per event is
    /// skipped. Thread-safe (the registry is only read).</summary>
    public RecordedEvent Materialize(in RawEvent raw)
    {
        var (type, data) = store.Registry.Deserialize(raw.Type, raw.Data);
        var headers = raw.Metadata == "{}" ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(raw.Metadata, EventTypeRegistry.JsonOptions);
        var metadata = raw.CorrelationId is null && raw.CausationId is null && raw.Actor is null && headers is not { Count: > 0 }
            ? EventMetadata.Empty
            : new EventMetadata(raw.CorrelationId, raw.CausationId, raw.Actor, headers is { Count: > 0 } ? headers : null);
        return new RecordedEvent(raw.GlobalPosition, raw.TxId, raw.EventId, raw.TenantId, raw.StreamId, raw.Version, type, data, metadata, raw.RecordedAt);
    }

    /// <summary>The query as a command, for callers that stream its rows.</summary>
    public NpgsqlCommand CreateCommand(LogQuery query, NpgsqlConnection? connection, NpgsqlTransaction? tx)
    {
        var command = connection is null ? store.DataSource.CreateCommand(Sql) : new NpgsqlCommand(Sql, connection, tx);
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
