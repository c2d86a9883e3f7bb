-- Faster appends (issue 2, benchmark): same signature, same results and errors as 0001.
-- Fast path, for an Exact(n > 0) append that is not a retry: one UPDATE checks the version,
-- refuses archived streams, takes the row lock and bumps the version in a single statement
-- (0001 needed a SELECT ... FOR UPDATE, which writes its own lock record, and a later UPDATE).
-- A single event is inserted with a plain VALUES row. Everything else (Any, NoStream, a missing
-- or archived stream, a wrong version, a retry) falls through to 0001's checks unchanged.
-- Why the fast path cannot miss a retry: an Exact(n) append that committed left the stream at
-- n + count > n, so its retry fails the version test and reaches the duplicate check; a retry
-- racing the original waits on the row lock and re-tests the version after the original commits.
-- Any is kept on the slow path because a concurrent retry with Any would pass the version test.
CREATE OR REPLACE FUNCTION ledger.append_to_stream(
    p_tenant text, p_stream text, p_stream_type text, p_expected bigint,
    p_event_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[],
    p_correlation_id text, p_causation_id text, p_actor text, p_recorded_at timestamptz)
RETURNS TABLE (first_version bigint, last_version bigint, first_position bigint,
               last_position bigint, duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_version  bigint;
    v_archived boolean;
    v_count    int := cardinality(p_event_ids);
    v_found    bigint;
BEGIN
    IF p_expected > 0 AND v_count > 0 THEN
        UPDATE ledger.streams s SET version = s.version + v_count
         WHERE s.tenant_id = p_tenant AND s.stream_id = p_stream
           AND s.version = p_expected AND NOT s.archived
           AND NOT EXISTS (SELECT 1 FROM ledger.events e WHERE e.event_id = p_event_ids[1])
        RETURNING s.version - v_count INTO v_version;
    END IF;

    IF v_version IS NULL THEN
        SELECT s.version, s.archived INTO v_version, v_archived
          FROM ledger.streams s
         WHERE s.tenant_id = p_tenant AND s.stream_id = p_stream
           FOR UPDATE;

        IF NOT FOUND THEN
            IF p_expected > 0 THEN
                RAISE EXCEPTION 'stream %/% expected at version % but does not exist', p_tenant, p_stream, p_expected
                    USING ERRCODE = 'LD001', HINT = '0';
            END IF;
            -- Two first appends may race here; the loser waits on the row and re-reads it below.
            INSERT INTO ledger.streams AS s (tenant_id, stream_id, type, version, created_at)
            VALUES (p_tenant, p_stream, p_stream_type, 0, coalesce(p_recorded_at, now()))
            ON CONFLICT (tenant_id, stream_id) DO NOTHING;
            SELECT s.version, s.archived INTO v_version, v_archived
              FROM ledger.streams s
             WHERE s.tenant_id = p_tenant AND s.stream_id = p_stream
               FOR UPDATE;
        END IF;

        IF v_count > 0 AND EXISTS (SELECT 1 FROM ledger.events e WHERE e.event_id = p_event_ids[1]) THEN
            SELECT count(*) INTO v_found FROM ledger.events e
             WHERE e.event_id = ANY (p_event_ids) AND e.tenant_id = p_tenant AND e.stream_id = p_stream;
            IF v_found <> v_count THEN
                RAISE EXCEPTION 'event ids of this append to %/% are partly stored already', p_tenant, p_stream
                    USING ERRCODE = 'LD003';
            END IF;
            RETURN QUERY
                SELECT min(e.version), max(e.version), min(e.global_position), max(e.global_position), true
                  FROM ledger.events e WHERE e.event_id = ANY (p_event_ids);
            RETURN;
        END IF;

        IF v_archived THEN
            RAISE EXCEPTION 'stream %/% is archived', p_tenant, p_stream USING ERRCODE = 'LD002';
        END IF;
        IF (p_expected = 0 AND v_version <> 0) OR (p_expected > 0 AND v_version <> p_expected) THEN
            RAISE EXCEPTION 'stream %/% expected at version % but is at %', p_tenant, p_stream, p_expected, v_version
                USING ERRCODE = 'LD001', HINT = v_version::text;
        END IF;

        UPDATE ledger.streams s SET version = v_version + v_count
         WHERE s.tenant_id = p_tenant AND s.stream_id = p_stream;
    END IF;

    first_version := v_version + 1;
    last_version := v_version + v_count;
    duplicate := false;
    IF v_count = 1 THEN
        INSERT INTO ledger.events (event_id, tenant_id, stream_id, version, type, data, metadata,
                                   correlation_id, causation_id, actor, recorded_at)
        VALUES (p_event_ids[1], p_tenant, p_stream, v_version + 1, p_types[1], p_data[1],
                coalesce(p_metadata[1], '{}'::jsonb), p_correlation_id, p_causation_id, p_actor,
                coalesce(p_recorded_at, now()))
        RETURNING global_position INTO first_position;
        last_position := first_position;
    ELSE
        WITH inserted AS (
            INSERT INTO ledger.events (event_id, tenant_id, stream_id, version, type, data, metadata,
                                       correlation_id, causation_id, actor, recorded_at)
            SELECT u.id, p_tenant, p_stream, v_version + u.ord, u.t, u.d, coalesce(u.m, '{}'::jsonb),
                   p_correlation_id, p_causation_id, p_actor, coalesce(p_recorded_at, now())
              FROM unnest(p_event_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS u(id, t, d, m, ord)
            RETURNING global_position
        )
        SELECT min(i.global_position), max(i.global_position) INTO first_position, last_position
          FROM inserted i;
    END IF;
    RETURN NEXT;
END;
$$;
