-- Usage export to Stripe meters: one row per live flush batch.
-- Invariants:
--  * A batch covers the usage events in the log range (from, to], in commit order
--    (tx_id, global_position); the range is fixed when the batch starts, so a rerun after a
--    crash resumes the same batch with the same range, the same aggregates and therefore the
--    same meter event identifiers: Stripe counts each identifier once.
--  * At most one batch is 'started' at a time (the partial unique index); batches chain: a new
--    batch starts where the last completed one ended.

CREATE TABLE ledger.stripe_usage_batches (
    batch_id        uuid        PRIMARY KEY,
    status          text        NOT NULL CHECK (status IN ('started', 'completed')),
    from_tx_id      xid8        NOT NULL,
    from_position   bigint      NOT NULL,
    to_tx_id        xid8        NOT NULL,
    to_position     bigint      NOT NULL,
    meter_events    int         NOT NULL DEFAULT 0,
    skipped_tenants int         NOT NULL DEFAULT 0,
    attempts        int         NOT NULL DEFAULT 1,
    started_at      timestamptz NOT NULL,
    completed_at    timestamptz NULL
);

CREATE UNIQUE INDEX stripe_usage_batches_one_open_idx ON ledger.stripe_usage_batches ((true)) WHERE status = 'started';
CREATE INDEX stripe_usage_batches_completed_idx ON ledger.stripe_usage_batches (to_tx_id DESC, to_position DESC) WHERE status = 'completed';
