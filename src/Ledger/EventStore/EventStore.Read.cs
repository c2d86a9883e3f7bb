using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.EventStore;

/// <summary>Bounds for reading one stream: from a version, up to a version, or as the stream
/// stood at a moment (events recorded at or before <see cref="AsOf"/>).</summary>
public sealed record StreamReadOptions(long FromVersion = 1, long? ToVersion = null, DateTimeOffset? AsOf = null);

public sealed partial class EventStore
{
    private const string Columns =
        "global_position, tx_id, event_id, tenant_id, stream_id, version, type, data::text, metadata::text, correlation_id, causation_id, actor, recorded_at";

    private const string ReadStreamSql = $"""
        SELECT {Columns}
          FROM ledger.events
         WHERE tenant_id = $1 AND stream_id = $2 AND version >= $3
           AND ($4::bigint IS NULL OR version <= $4)
           AND ($5::timestamptz IS NULL OR recorded_at <= $5)
         ORDER BY version
        """;

    // The set-wise reads run in functions that pin index plans (migration 0097): as prepared
    // statements, plans cached while the log was small scanned all of it.
    private const string ReadByIdSql = $"SELECT {Columns} FROM ledger.events_by_ids($1)";

    private const string ReadStreamsSql = $"""
        SELECT {Columns}
          FROM ledger.events_of_streams($1, $2)
         ORDER BY tenant_id, stream_id, version
        """;

    // Only transactions older than the oldest one still running are visible to the reader:
    // an event whose transaction commits late has a smaller tx_id than events already read
    // only if it was still running when they were read, and then tx_id >= xmin kept it out.
    private const string ReadAllSql = $"""
        SELECT {Columns}
          FROM ledger.events
         WHERE (tx_id, global_position) > ($1, $2)
           AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
           AND ($3::text IS NULL OR tenant_id = $3)
           AND ($4::text[] IS NULL OR type = ANY ($4))
         ORDER BY tx_id, global_position
         LIMIT $5
        """;

    private const string HeadSql = """
        SELECT tx_id, global_position
          FROM ledger.events
         WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY tx_id DESC, global_position DESC
         LIMIT 1
        """;

    public async Task<IReadOnlyList<RecordedEvent>> ReadStreamAsync(string tenantId, string streamId, StreamReadOptions? options = null, CancellationToken ct = default)
    {
        options ??= new StreamReadOptions();
        await using var command = _dataSource.CreateCommand(ReadStreamSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = options.FromVersion });
        command.Parameters.Add(new NpgsqlParameter { Value = options.ToVersion ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = options.AsOf ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return await ReadEventsAsync(command, ct);
    }

    /// <summary>The events with these ids (in no particular order; ids not stored are absent):
    /// one query for a batch that knows its events by id.</summary>
    public async Task<IReadOnlyList<RecordedEvent>> ReadEventsAsync(IReadOnlyCollection<Guid> eventIds, CancellationToken ct = default)
    {
        await using var command = _dataSource.CreateCommand(ReadByIdSql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. eventIds], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        return await ReadEventsAsync(command, ct);
    }

    /// <summary>Several whole streams in one query, each in version order; a stream that does
    /// not exist reads as empty.</summary>
    public async Task<IReadOnlyDictionary<(string TenantId, string StreamId), IReadOnlyList<RecordedEvent>>> ReadStreamsAsync(
        IReadOnlyCollection<(string TenantId, string StreamId)> streams, CancellationToken ct = default)
    {
        var found = streams.Distinct().ToDictionary(s => s, _ => (IReadOnlyList<RecordedEvent>)new List<RecordedEvent>());
        await using var command = _dataSource.CreateCommand(ReadStreamsSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. found.Keys.Select(k => k.TenantId)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. found.Keys.Select(k => k.StreamId)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        foreach (var e in await ReadEventsAsync(command, ct))
        {
            ((List<RecordedEvent>)found[(e.TenantId, e.StreamId)]).Add(e);
        }

        return found;
    }

    /// <summary>Reads the whole log in commit order strictly after <paramref name="after"/>,
    /// never skipping an event whose transaction commits after the reader passed it. It does not
    /// guarantee one stream's versions arrive in order under contending writers; projections read
    /// through the settled-position fence instead (docs/architecture.md, "Reading order").</summary>
    public async Task<LogPage> ReadAllAsync(LogPosition after, int maxCount, LogFilter? filter = null, CancellationToken ct = default)
    {
        filter ??= LogFilter.All;
        await using var command = _dataSource.CreateCommand(ReadAllSql);
        command.Parameters.Add(new NpgsqlParameter<ulong> { TypedValue = after.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after.GlobalPosition });
        command.Parameters.Add(new NpgsqlParameter { Value = filter.TenantId ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = filter.Types?.ToArray() ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxCount });
        var events = await ReadEventsAsync(command, ct);
        return new LogPage(events, events.Count == 0 ? after : events[^1].Position);
    }

    /// <summary>The newest position a reader may see now (the head for lag calculations).</summary>
    public async Task<LogPosition> ReadHeadAsync(CancellationToken ct = default)
    {
        await using var command = _dataSource.CreateCommand(HeadSql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1)) : LogPosition.Start;
    }

    public async Task<StreamInfo?> GetStreamAsync(string tenantId, string streamId, CancellationToken ct = default)
    {
        const string sql = "SELECT type, version, created_at, archived FROM ledger.streams WHERE tenant_id = $1 AND stream_id = $2";
        await using var command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new StreamInfo(tenantId, streamId, reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetBoolean(3));
    }

    private async Task<IReadOnlyList<RecordedEvent>> ReadEventsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var events = new List<RecordedEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(ReadEvent(reader));
        }

        return events;
    }

    /// <summary>Materialises the current row of a reader selecting <see cref="Columns"/>.</summary>
    public RecordedEvent ReadEvent(NpgsqlDataReader reader) => Materialize(ReadRow(reader));

    /// <summary>The current row's values with its JSON still text: cheap, so a streaming reader
    /// can hand <see cref="Materialize"/> (the costly part) to other threads.</summary>
    public static StoredEventRow ReadRow(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetFieldValue<ulong>(1), reader.GetGuid(2), reader.GetString(3), reader.GetString(4),
        reader.GetInt64(5), reader.GetString(6), reader.GetString(7), reader.GetString(8),
        reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.IsDBNull(10) ? null : reader.GetString(10),
        reader.IsDBNull(11) ? null : reader.GetString(11),
        reader.GetFieldValue<DateTimeOffset>(12));

    /// <summary>The row's headers and metadata without deserialising its data, which becomes
    /// <see cref="EventDataNotRead.Instance"/> (for readers that asked for headers only; the type
    /// is the upcast one, as <see cref="Materialize"/> would give).</summary>
    public RecordedEvent MaterializeHeaders(in StoredEventRow row) =>
        Recorded(row, Registry.CurrentWireName(row.Type), EventDataNotRead.Instance);

    /// <summary>Deserialises a row. Most events carry no headers: parsing <c>{}</c> is skipped.
    /// Thread-safe (the registry is only read).</summary>
    public RecordedEvent Materialize(in StoredEventRow row)
    {
        var (type, data) = Registry.Deserialize(row.Type, row.Data);
        return Recorded(row, type, data);
    }

    private static RecordedEvent Recorded(in StoredEventRow row, string type, object data)
    {
        var headers = row.Metadata == "{}" ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(row.Metadata, EventTypeRegistry.JsonOptions);
        var metadata = row.CorrelationId is null && row.CausationId is null && row.Actor is null && headers is not { Count: > 0 }
            ? EventMetadata.Empty
            : new EventMetadata(row.CorrelationId, row.CausationId, row.Actor, headers is { Count: > 0 } ? headers : null);
        return new RecordedEvent(row.GlobalPosition, row.TxId, row.EventId, row.TenantId, row.StreamId, row.Version, type, data, metadata, row.RecordedAt);
    }
}

/// <summary>One row of the log as read (<see cref="EventStore.Columns"/>), before its JSON is
/// deserialised.</summary>
public readonly record struct StoredEventRow(
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
