-- Projection engine: read-model schema, per-projection state (checkpoint, leadership,
-- rebuild progress), dead letters, and a NOTIFY on appends that wakes the async daemons.
-- Invariants:
--  * A projection's checkpoint is a settled global_position (no running transaction can still
--    commit an event at or below it); every handled event at or before it is reflected in the
--    live tables exactly once, because the daemon commits each page's writes and the new
--    checkpoint in one transaction that first locks this row and re-checks the checkpoint.
--  * generation increases on every rebuild swap; a daemon page read against an older
--    generation is discarded.

CREATE SCHEMA IF NOT EXISTS rm;

CREATE TABLE ledger.projection_state (
    name                 text        PRIMARY KEY,
    mode                 text        NOT NULL CHECK (mode IN ('inline', 'async')),
    state                text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'paused')),
    checkpoint_position  bigint      NOT NULL DEFAULT 0,
    generation           bigint      NOT NULL DEFAULT 0,
    owner_node           text        NULL,
    heartbeat_at         timestamptz NULL,
    last_applied_at      timestamptz NULL,
    paused_reason        text        NULL,
    rebuild_node         text        NULL,
    rebuild_heartbeat_at timestamptz NULL,
    rebuild_progress     text        NULL,
    rebuilt_at           timestamptz NULL
);

CREATE TABLE ledger.projection_dead_letters (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    projection       text        NOT NULL REFERENCES ledger.projection_state (name),
    global_position  bigint      NOT NULL,
    event_id         uuid        NOT NULL,
    event_type       text        NOT NULL,
    tenant_id        text        NOT NULL,
    stream_id        text        NOT NULL,
    error            text        NOT NULL,
    attempts         int         NOT NULL,
    status           text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'requeued', 'resolved')),
    failed_at        timestamptz NOT NULL DEFAULT now(),
    resolved_at      timestamptz NULL
);

CREATE INDEX projection_dead_letters_open_idx ON ledger.projection_dead_letters (projection, status);

-- One notification per appending statement, delivered at commit (and dropped on rollback),
-- so a daemon never wakes for events it cannot see yet. Daemons poll as well: a missed
-- notification (listener reconnecting) only delays, never loses, an event.
CREATE FUNCTION ledger.notify_events_appended() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ledger_events', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_appended_notify
    AFTER INSERT ON ledger.events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.notify_events_appended();
