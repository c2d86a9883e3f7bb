-- Event store: streams, events and the append function.
-- Invariants:
--  * (tenant_id, stream_id) identifies a stream; every stream belongs to exactly one tenant.
--  * streams.version equals the highest events.version of that stream.
--  * events are ordered for readers by (tx_id, global_position): tx_id is the writing
--    transaction's id, so a reader that only reads tx_id < pg_snapshot_xmin(pg_current_snapshot())
--    never passes an event whose transaction is still in flight (see docs/architecture.md).

CREATE TABLE ledger.streams (
    tenant_id   text        NOT NULL,
    stream_id   text        NOT NULL,
    type        text        NOT NULL,
    version     bigint      NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    archived    boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, stream_id)
);

CREATE TABLE ledger.events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id           xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id        uuid        NOT NULL,
    tenant_id       text        NOT NULL,
    stream_id       text        NOT NULL,
    version         bigint      NOT NULL,
    type            text        NOT NULL,
    data            jsonb       NOT NULL,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    correlation_id  text        NULL,
    causation_id    text        NULL,
    actor           text        NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (tenant_id, stream_id, version)
);

CREATE INDEX events_commit_order_idx ON ledger.events (tx_id, global_position);

-- Append events to one stream. Called once per stream in a unit of work; several calls
-- in one batch commit together.
--  p_expected: -1 = any, 0 = the stream must not exist, n > 0 = the stream must be at version n.
-- Errors (SQLSTATE): LD001 wrong expected version (HINT carries the actual version),
--                    LD002 stream archived, LD003 event ids partly stored already.
-- A call whose first event id is already stored on this stream is an idempotent retry:
-- nothing is written and the original versions/positions are returned with duplicate = true.
-- The duplicate check runs after the stream lock so two concurrent retries serialize on it.
CREATE FUNCTION ledger.append_to_stream(
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

    RETURN QUERY
    WITH inserted AS (
        INSERT INTO ledger.events (event_id, tenant_id, stream_id, version, type, data, metadata,
                                   correlation_id, causation_id, actor, recorded_at)
        SELECT u.id, p_tenant, p_stream, v_version + u.ord, u.t, u.d, coalesce(u.m, '{}'::jsonb),
               p_correlation_id, p_causation_id, p_actor, coalesce(p_recorded_at, now())
          FROM unnest(p_event_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS u(id, t, d, m, ord)
        RETURNING global_position
    ), bumped AS (
        UPDATE ledger.streams s SET version = v_version + v_count
         WHERE s.tenant_id = p_tenant AND s.stream_id = p_stream
    )
    SELECT v_version + 1, v_version + v_count, min(i.global_position), max(i.global_position), false
      FROM inserted i;
END;
$$;
