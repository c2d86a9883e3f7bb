using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.EventStore;

/// <summary>Grouped appends: several single-event appends at a known version (NoStream, or
/// Exact) to distinct streams in one unit of work go as one set-based statement instead of one
/// statement each. A webhook inbox batch creates up to 256 streams this way, and the processor
/// appends a "processed" marker at Exact(1) to as many. Results and errors are those of the
/// per-append path (migration 0085, docs/architecture.md).</summary>
public sealed partial class EventStore
{
    // Arrays hold one element per append of the group (parameters $1..$10), $11 is recorded_at.
    // Stream rows are inserted sorted by (tenant, stream), so two concurrent groups over shared
    // streams wait on each other in one order instead of deadlocking; events are inserted in
    // append order. A row whose stream exists (a retry, a racing creator that committed first)
    // or whose event id is stored writes nothing here and goes, sorted likewise, through
    // ledger.append_grouped_fallback, which returns the retry's original result or raises the
    // error naming its ordinal; the whole statement then fails and nothing of it stays written.
    private const string NewStreamGroupSql = """
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::jsonb[], $7::jsonb[], $8::text[], $9::text[], $10::text[])
                WITH ORDINALITY AS u(tenant_id, stream_id, stream_type, event_id, type, data, headers, correlation_id, causation_id, actor, ord)
        ), created AS (
            INSERT INTO ledger.streams AS s (tenant_id, stream_id, type, version, created_at)
            SELECT i.tenant_id, i.stream_id, i.stream_type, 1, coalesce($11, now())
              FROM input i
             WHERE NOT EXISTS (SELECT 1 FROM ledger.events e WHERE e.event_id = i.event_id)
             ORDER BY i.tenant_id, i.stream_id
            ON CONFLICT (tenant_id, stream_id) DO NOTHING
            RETURNING s.tenant_id, s.stream_id
        ), inserted AS (
            INSERT INTO ledger.events (event_id, tenant_id, stream_id, version, type, data, metadata,
                                       correlation_id, causation_id, actor, recorded_at)
            SELECT i.event_id, i.tenant_id, i.stream_id, 1, i.type, i.data, coalesce(i.headers, '{}'::jsonb),
                   i.correlation_id, i.causation_id, i.actor, coalesce($11, now())
              FROM input i JOIN created c ON c.tenant_id = i.tenant_id AND c.stream_id = i.stream_id
             ORDER BY i.ord
            RETURNING event_id, global_position
        )
        SELECT i.ord, 1::bigint, 1::bigint, n.global_position, n.global_position, false
          FROM input i JOIN inserted n ON n.event_id = i.event_id
        UNION ALL
        SELECT m.ord, f.*
          FROM (SELECT * FROM input i WHERE NOT EXISTS (SELECT 1 FROM inserted n WHERE n.event_id = i.event_id)
                 ORDER BY i.tenant_id, i.stream_id) m
         CROSS JOIN LATERAL ledger.append_grouped_fallback(m.ord, m.tenant_id, m.stream_id, m.stream_type, 0,
               ARRAY[m.event_id], ARRAY[m.type], ARRAY[m.data], ARRAY[m.headers], m.correlation_id, m.causation_id, m.actor, $11) f
         ORDER BY 1
        """;

    // Exact appends: $4 holds the expected versions, $12 is recorded_at. The stream rows are
    // locked sorted by (tenant, stream) before the UPDATE (an UPDATE ... FROM updates in whatever
    // order its join plan yields, which could deadlock two groups), and only when they are at the
    // expected version, not archived and the event id is not stored. A racing appender holding a
    // row makes the lock wait and re-test the row once it commits. Missed rows fall back as above.
    private const string ExactGroupSql = """
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::uuid[], $6::text[], $7::jsonb[], $8::jsonb[], $9::text[], $10::text[], $11::text[])
                WITH ORDINALITY AS u(tenant_id, stream_id, stream_type, expected, event_id, type, data, headers, correlation_id, causation_id, actor, ord)
        ), locked AS (
            SELECT i.ord
              FROM input i JOIN ledger.streams s ON s.tenant_id = i.tenant_id AND s.stream_id = i.stream_id
             WHERE s.version = i.expected AND NOT s.archived
               AND NOT EXISTS (SELECT 1 FROM ledger.events e WHERE e.event_id = i.event_id)
             ORDER BY s.tenant_id, s.stream_id
               FOR NO KEY UPDATE OF s
        ), bumped AS (
            UPDATE ledger.streams s SET version = s.version + 1
              FROM locked l JOIN input i ON i.ord = l.ord
             WHERE s.tenant_id = i.tenant_id AND s.stream_id = i.stream_id AND s.version = i.expected
            RETURNING i.ord, s.version
        ), inserted AS (
            INSERT INTO ledger.events (event_id, tenant_id, stream_id, version, type, data, metadata,
                                       correlation_id, causation_id, actor, recorded_at)
            SELECT i.event_id, i.tenant_id, i.stream_id, b.version, i.type, i.data, coalesce(i.headers, '{}'::jsonb),
                   i.correlation_id, i.causation_id, i.actor, coalesce($12, now())
              FROM input i JOIN bumped b ON b.ord = i.ord
             ORDER BY i.ord
            RETURNING event_id, version, global_position
        )
        SELECT i.ord, n.version, n.version, n.global_position, n.global_position, false
          FROM input i JOIN inserted n ON n.event_id = i.event_id
        UNION ALL
        SELECT m.ord, f.*
          FROM (SELECT * FROM input i WHERE NOT EXISTS (SELECT 1 FROM inserted n WHERE n.event_id = i.event_id)
                 ORDER BY i.tenant_id, i.stream_id) m
         CROSS JOIN LATERAL ledger.append_grouped_fallback(m.ord, m.tenant_id, m.stream_id, m.stream_type, m.expected,
               ARRAY[m.event_id], ARRAY[m.type], ARRAY[m.data], ARRAY[m.headers], m.correlation_id, m.causation_id, m.actor, $12) f
         ORDER BY 1
        """;
}
