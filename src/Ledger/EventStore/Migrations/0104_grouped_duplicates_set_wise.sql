-- Idempotent retries in a grouped new-stream append answered set-wise (EventStore.AppendGroups.cs).
-- Until now a member whose event was already stored went through ledger.append_grouped_fallback:
-- an exception block (a subtransaction) around ledger.append_to_stream, which locks the stream
-- row and reads the stored event again. In the webhook benchmark that was ~170 µs per duplicate
-- delivery, more than a fresh event's share of the grouped insert, and a replay storm (Stripe
-- re-sending everything) is nothing but duplicates (docs/benchmarks.md "Tenth session").
-- Now a member whose event id is already stored on the member's own stream is answered from that
-- row: its version and position, duplicate = true, exactly what append_to_stream returns for a
-- NoStream retry of a single event (it checks for the stored event before the expected version
-- and the archived flag). No lock is needed: a stored event never changes.
-- Invariants: results (one row per member, in ordinal order) and errors are 0095's. Members whose
-- event is stored on another stream (LD003), and members that lose a race with a concurrent
-- transaction inserting the same stream (not visible to this statement's snapshot), still take
-- the fallback, which waits for that transaction and answers from what it committed.

CREATE OR REPLACE FUNCTION ledger.append_new_streams_grouped(
    p_tenants text[], p_streams text[], p_stream_types text[], p_event_ids uuid[], p_types text[],
    p_data jsonb[], p_metadata jsonb[], p_correlation_ids text[], p_causation_ids text[], p_actors text[],
    p_recorded_at timestamptz)
RETURNS TABLE (o_ord bigint, o_first_version bigint, o_last_version bigint, o_first_position bigint,
               o_last_position bigint, o_duplicate boolean)
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT * FROM unnest(p_tenants, p_streams, p_stream_types, p_event_ids, p_types, p_data, p_metadata, p_correlation_ids, p_causation_ids, p_actors)
            WITH ORDINALITY AS u(tenant_id, stream_id, stream_type, event_id, type, data, headers, correlation_id, causation_id, actor, ord)
    ), stored AS (
        SELECT i.ord, e.version, e.global_position
          FROM input i JOIN ledger.events e ON e.event_id = i.event_id
         WHERE e.tenant_id = i.tenant_id AND e.stream_id = i.stream_id
    ), created AS (
        INSERT INTO ledger.streams AS s (tenant_id, stream_id, type, version, created_at)
        SELECT i.tenant_id, i.stream_id, i.stream_type, 1, coalesce(p_recorded_at, now())
          FROM input i
         WHERE NOT EXISTS (SELECT 1 FROM ledger.events e WHERE e.event_id = i.event_id)
         ORDER BY i.tenant_id, i.stream_id
        ON CONFLICT (tenant_id, stream_id) DO NOTHING
        RETURNING s.tenant_id, s.stream_id
    ), inserted AS (
        INSERT INTO ledger.events (event_id, tenant_id, stream_id, version, type, data, metadata,
                                   correlation_id, causation_id, actor, recorded_at)
        SELECT i.event_id, i.tenant_id, i.stream_id, 1, i.type, i.data, coalesce(i.headers, '{}'::jsonb),
               i.correlation_id, i.causation_id, i.actor, coalesce(p_recorded_at, now())
          FROM input i JOIN created c ON c.tenant_id = i.tenant_id AND c.stream_id = i.stream_id
         ORDER BY i.ord
        RETURNING event_id, global_position
    )
    SELECT i.ord, 1::bigint, 1::bigint, n.global_position, n.global_position, false
      FROM input i JOIN inserted n ON n.event_id = i.event_id
    UNION ALL
    SELECT s.ord, s.version, s.version, s.global_position, s.global_position, true
      FROM stored s
    UNION ALL
    SELECT m.ord, f.*
      FROM (SELECT * FROM input i
             WHERE NOT EXISTS (SELECT 1 FROM inserted n WHERE n.event_id = i.event_id)
               AND NOT EXISTS (SELECT 1 FROM stored s WHERE s.ord = i.ord)
             ORDER BY i.tenant_id, i.stream_id) m
     CROSS JOIN LATERAL ledger.append_grouped_fallback(m.ord, m.tenant_id, m.stream_id, m.stream_type, 0,
           ARRAY[m.event_id], ARRAY[m.type], ARRAY[m.data], ARRAY[m.headers], m.correlation_id, m.causation_id, m.actor, p_recorded_at) f
     ORDER BY 1;
END;
$$;
