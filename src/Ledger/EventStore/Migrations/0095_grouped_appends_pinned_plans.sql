-- Grouped appends with pinned plans (EventStore.AppendGroups.cs). 0085's two set-based
-- statements ran as prepared top-level statements. Prepared once per connection on a fresh
-- install (or the benchmark's fresh database), their generic plan was made while ledger.streams
-- was small: a hash join over a sequential scan of streams, kept until the next ANALYZE. At
-- 30,000 streams that was O(streams) per call and a third of the server's CPU in the webhook
-- benchmark (perf, docs/benchmarks.md "Fourth session"). As ledger.claim_jobs and 0090's
-- set-wise functions do, the statements now live in functions that switch sequential scans,
-- hash and merge joins off, so every lookup (stream row by primary key, event by event_id) is an
-- index probe per element at any table size.
-- Invariants: the statements are 0085's, unchanged apart from naming their parameters; results
-- (one row per append: ordinal, first/last version, first/last position, duplicate) and errors
-- (LD00x raised by ledger.append_grouped_fallback with the member's ordinal) are the same.

CREATE FUNCTION ledger.append_new_streams_grouped(
    p_tenants text[], p_streams text[], p_stream_types text[], p_event_ids uuid[], p_types text[],
    p_data jsonb[], p_metadata jsonb[], p_correlation_ids text[], p_causation_ids text[], p_actors text[],
    p_recorded_at timestamptz)
RETURNS TABLE (o_ord bigint, o_first_version bigint, o_last_version bigint, o_first_position bigint,
               o_last_position bigint, o_duplicate boolean)
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT * FROM unnest(p_tenants, p_streams, p_stream_types, p_event_ids, p_types, p_data, p_metadata, p_correlation_ids, p_causation_ids, p_actors)
            WITH ORDINALITY AS u(tenant_id, stream_id, stream_type, event_id, type, data, headers, correlation_id, causation_id, actor, ord)
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
    SELECT m.ord, f.*
      FROM (SELECT * FROM input i WHERE NOT EXISTS (SELECT 1 FROM inserted n WHERE n.event_id = i.event_id)
             ORDER BY i.tenant_id, i.stream_id) m
     CROSS JOIN LATERAL ledger.append_grouped_fallback(m.ord, m.tenant_id, m.stream_id, m.stream_type, 0,
           ARRAY[m.event_id], ARRAY[m.type], ARRAY[m.data], ARRAY[m.headers], m.correlation_id, m.causation_id, m.actor, p_recorded_at) f
     ORDER BY 1;
END;
$$;

CREATE FUNCTION ledger.append_exact_grouped(
    p_tenants text[], p_streams text[], p_stream_types text[], p_expected bigint[], p_event_ids uuid[],
    p_types text[], p_data jsonb[], p_metadata jsonb[], p_correlation_ids text[], p_causation_ids text[],
    p_actors text[], p_recorded_at timestamptz)
RETURNS TABLE (o_ord bigint, o_first_version bigint, o_last_version bigint, o_first_position bigint,
               o_last_position bigint, o_duplicate boolean)
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT * FROM unnest(p_tenants, p_streams, p_stream_types, p_expected, p_event_ids, p_types, p_data, p_metadata, p_correlation_ids, p_causation_ids, p_actors)
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
               i.correlation_id, i.causation_id, i.actor, coalesce(p_recorded_at, now())
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
           ARRAY[m.event_id], ARRAY[m.type], ARRAY[m.data], ARRAY[m.headers], m.correlation_id, m.causation_id, m.actor, p_recorded_at) f
     ORDER BY 1;
END;
$$;
