-- Usage retention (billing usage purge --confirm): raw usage events of periods whose invoices
-- are final move from ledger.events to ledger.usage_archive; their per-day sums stay in
-- ledger.usage_summaries so the rollup (and so every invoice) can still be rebuilt and explained.
CREATE TABLE ledger.usage_summaries (
    tenant_id    text    NOT NULL,
    metric       text    NOT NULL,
    day          date    NOT NULL,
    quantity     numeric NOT NULL,
    event_count  bigint  NOT NULL,
    PRIMARY KEY (tenant_id, metric, day)
);

CREATE TABLE ledger.usage_archive (LIKE ledger.events);
ALTER TABLE ledger.usage_archive ADD COLUMN archived_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX usage_archive_tenant_idx ON ledger.usage_archive (tenant_id, recorded_at);
