using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.EventStore;

/// <summary>The SQL an append sends. Both shapes return one row (first_version, last_version,
/// first_position, last_position, duplicate) or raise the function's LD00x errors.</summary>
public sealed partial class EventStore
{
    private const string AppendSql = "SELECT * FROM ledger.append_to_stream($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

    // One event at an exact version (the webhook shape) as a plain statement: a plpgsql call costs
    // the server about as much as the insert itself. When the UPDATE matches no row (stream missing,
    // archived, at another version, or the event id already stored), the gated branch hands the
    // same arguments to ledger.append_to_stream, which makes every check and raises or returns the
    // retry's original result; the CTEs then wrote nothing. A racing appender that wins the row
    // lock makes the UPDATE re-test the version after it commits, and so also lands there.
    private const string SingleExactAppendSql = """
        WITH bumped AS (
            UPDATE ledger.streams s SET version = s.version + 1
             WHERE s.tenant_id = $1 AND s.stream_id = $2 AND s.version = $4 AND NOT s.archived
               AND NOT EXISTS (SELECT 1 FROM ledger.events e WHERE e.event_id = $5)
            RETURNING s.version
        ), inserted AS (
            INSERT INTO ledger.events (event_id, tenant_id, stream_id, version, type, data, metadata,
                                       correlation_id, causation_id, actor, recorded_at)
            SELECT $5, $1, $2, b.version, $6, $7, coalesce($8, '{}'::jsonb), $9, $10, $11, coalesce($12, now())
              FROM bumped b
            RETURNING version, global_position
        )
        SELECT i.version, i.version, i.global_position, i.global_position, false FROM inserted i
        UNION ALL
        SELECT f.* FROM ledger.append_to_stream($1, $2, $3, $4, ARRAY[$5], ARRAY[$6], ARRAY[$7], ARRAY[$8], $9, $10, $11, $12) f
         WHERE NOT EXISTS (SELECT 1 FROM bumped)
        """;

    // The same fast path without the fallback branch, for a unit of work holding just this one
    // append in a transaction the store owns: planning and starting the fallback's function scan
    // costs the server about 14 us per append even when it never runs (measured with pgbench at
    // 16 clients: 103 vs 89 us). No row back means the UPDATE matched nothing, so nothing was
    // written and the implicit transaction committed nothing; the store then sends the checked
    // append (EventStore.Append.cs).
    private static readonly string BareSingleExactAppendSql =
        SingleExactAppendSql[..SingleExactAppendSql.IndexOf("UNION ALL", StringComparison.Ordinal)].TrimEnd();

    // One event opening a new stream (NoStream: an invoice, a tenant, a receipt stream) when it is
    // the whole unit of work in the store's own transaction: the stream row is inserted at
    // version 1 and the event follows, as two prepared CTEs. When the row exists already (a
    // retry, a racing creator that committed first, a taken id) or the event id is stored,
    // nothing is written, no row comes back and the store sends the checked append
    // (ledger.append_to_stream), which raises the wrong-version error or returns the retry's
    // original result. A racing creator still in flight makes the insert wait for its outcome.
    // Inside larger units of work a lone NoStream append keeps calling the function: such batches
    // carry the caller's commands and are not prepared, and planning these CTEs per execution
    // costs more than the function call they save (measured with the webhook benchmark). Two or
    // more of them share one grouped statement instead (EventStore.AppendGroups.cs).
    private const string BareNewStreamAppendSql = """
        WITH created AS (
            INSERT INTO ledger.streams AS s (tenant_id, stream_id, type, version, created_at)
            SELECT $1, $2, $3, 1, coalesce($12, now())
             WHERE NOT EXISTS (SELECT 1 FROM ledger.events e WHERE e.event_id = $5)
            ON CONFLICT (tenant_id, stream_id) DO NOTHING
            RETURNING s.version
        ), inserted AS (
            INSERT INTO ledger.events (event_id, tenant_id, stream_id, version, type, data, metadata,
                                       correlation_id, causation_id, actor, recorded_at)
            SELECT $5, $1, $2, c.version, $6, $7, coalesce($8, '{}'::jsonb), $9, $10, $11, coalesce($12, now())
              FROM created c
            RETURNING version, global_position
        )
        SELECT i.version, i.version, i.global_position, i.global_position, false FROM inserted i
        """;

    /// <summary>One event at a known version (Exact, or NoStream when bare): a plain statement.</summary>
    private static bool IsSingleExact(PendingAppend append, bool bare) => append.Events.Count == 1 && (append.Expected.Value > 0 || (bare && append.Expected.Value == 0));

    private NpgsqlBatchCommand BuildAppendCommand(PendingAppend append, EventMetadata metadata, DateTimeOffset? recordedAt, bool bare)
    {
        var count = append.Events.Count;
        if (IsSingleExact(append, bare))
        {
            return BuildSingleExactCommand(append, metadata, recordedAt, bare);
        }

        var ids = new Guid[count];
        var types = new string[count];
        var data = new string[count];
        var headers = new string?[count];
        for (var i = 0; i < count; i++)
        {
            var e = append.Events[i];
            ids[i] = e.EventId;
            types[i] = Registry.WireNameOf(e.Data.GetType());
            data[i] = Registry.Serialize(e.Data);
            headers[i] = Headers(metadata, e);
        }

        var command = new NpgsqlBatchCommand(AppendSql);
        var p = command.Parameters;
        AddStreamParameters(p, append);
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = types, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = data, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        p.Add(new NpgsqlParameter<string?[]> { TypedValue = headers, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        AddMetadataParameters(p, metadata, recordedAt);
        return command;
    }

    /// <summary>Same parameter positions as <see cref="AppendSql"/>, with scalars for the arrays.</summary>
    private NpgsqlBatchCommand BuildSingleExactCommand(PendingAppend append, EventMetadata metadata, DateTimeOffset? recordedAt, bool bare)
    {
        var e = append.Events[0];
        var command = new NpgsqlBatchCommand(append.Expected.Value == 0 ? BareNewStreamAppendSql : bare ? BareSingleExactAppendSql : SingleExactAppendSql);
        var p = command.Parameters;
        AddStreamParameters(p, append);
        p.Add(new NpgsqlParameter<Guid> { TypedValue = e.EventId, NpgsqlDbType = NpgsqlDbType.Uuid });
        p.Add(new NpgsqlParameter<string> { TypedValue = Registry.WireNameOf(e.Data.GetType()), NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string> { TypedValue = Registry.Serialize(e.Data), NpgsqlDbType = NpgsqlDbType.Jsonb });
        p.Add(new NpgsqlParameter { Value = Headers(metadata, e) ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
        AddMetadataParameters(p, metadata, recordedAt);
        return command;
    }

    private static void AddStreamParameters(NpgsqlParameterCollection p, PendingAppend append)
    {
        p.Add(new NpgsqlParameter<string> { TypedValue = append.TenantId, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string> { TypedValue = append.StreamId, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string> { TypedValue = append.StreamType, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<long> { TypedValue = append.Expected.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
    }

    private static void AddMetadataParameters(NpgsqlParameterCollection p, EventMetadata metadata, DateTimeOffset? recordedAt)
    {
        p.Add(Text(metadata.CorrelationId));
        p.Add(Text(metadata.CausationId));
        p.Add(Text(metadata.Actor));
        p.Add(new NpgsqlParameter { Value = recordedAt.HasValue ? recordedAt.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
    }

    private static string? Headers(EventMetadata metadata, NewEvent e) =>
        Merge(metadata.Headers, e.Headers) is { } merged ? JsonSerializer.Serialize(merged, EventTypeRegistry.JsonOptions) : null;

    private static NpgsqlParameter Text(string? value) => new() { Value = value ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static Dictionary<string, string>? Merge(IReadOnlyDictionary<string, string>? shared, IReadOnlyDictionary<string, string>? own)
    {
        if (shared is null && own is null)
        {
            return null;
        }

        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in shared ?? new Dictionary<string, string>())
        {
            merged[k] = v;
        }

        foreach (var (k, v) in own ?? new Dictionary<string, string>())
        {
            merged[k] = v;
        }

        return merged;
    }
}
