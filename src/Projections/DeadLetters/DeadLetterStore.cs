using Billing.Ledger.EventStore;
using Billing.Projections.Engine;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Projections;

/// <summary>Lists and retries dead letters (<c>ledger.projection_dead_letters</c>).</summary>
public sealed partial class DeadLetterStore(EventStore store, ProjectionCatalog catalog)
{
    // A requeued letter whose event fails again is reopened rather than duplicated.
    private const string RecordSql = """
        WITH reopened AS (
            UPDATE ledger.projection_dead_letters
               SET status = 'open', error = $7, attempts = attempts + $8, failed_at = now(), resolved_at = NULL
             WHERE projection = $1 AND event_id = $3 AND status = 'requeued'
            RETURNING id)
        INSERT INTO ledger.projection_dead_letters (projection, global_position, event_id, event_type, tenant_id, stream_id, error, attempts)
        SELECT $1, $2, $3, $4, $5, $6, $7, $8
         WHERE NOT EXISTS (SELECT 1 FROM reopened)
        """;

    private const string ListSql = """
        SELECT id, projection, global_position, event_id, event_type, tenant_id, stream_id, error, attempts, status, failed_at, resolved_at
          FROM ledger.projection_dead_letters
         WHERE ($1::text IS NULL OR projection = $1) AND ($2 OR status <> 'resolved')
         ORDER BY id
        """;

    /// <summary>The command recording a dead letter, to run in the transaction that moves past (or pauses at) the event.</summary>
    internal static NpgsqlBatchCommand Record(string projection, ProjectedEvent e, Exception error, int attempts)
    {
        var position = e.Position!.Value;
        var text = Describe(error);
        return new NpgsqlBatchCommand(RecordSql)
        {
            Parameters =
            {
                ProjectionStateStore.Text(projection),
                new NpgsqlParameter<long> { TypedValue = position.GlobalPosition },
                new NpgsqlParameter<Guid> { TypedValue = e.EventId },
                ProjectionStateStore.Text(e.Type),
                ProjectionStateStore.Text(e.TenantId),
                ProjectionStateStore.Text(e.StreamId),
                ProjectionStateStore.Text(text),
                new NpgsqlParameter<int> { TypedValue = attempts },
            },
        };
    }

    internal static string Describe(Exception error)
    {
        var text = error is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : $"{error.GetType().Name}: {error.Message}";
        return text.Length > 4000 ? text[..4000] : text;
    }

    /// <summary>Dead letters, oldest first; resolved ones only when asked.</summary>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(string? projection = null, bool includeResolved = false, CancellationToken ct = default)
    {
        await using var command = store.DataSource.CreateCommand(ListSql);
        command.Parameters.Add(new NpgsqlParameter { Value = projection ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = includeResolved });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var letters = new List<DeadLetter>();
        while (await reader.ReadAsync(ct))
        {
            letters.Add(Read(reader));
        }

        return letters;
    }

    private static DeadLetter Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetGuid(3), r.GetString(4),
        r.GetString(5), r.GetString(6), r.GetString(7), r.GetInt32(8), r.GetString(9), r.GetFieldValue<DateTimeOffset>(10),
        r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11));
}
