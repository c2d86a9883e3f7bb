-- Usage ingestion: the dedupe record per (tenant, client event id), committed with the event,
-- and the daily rollup in the tenant's local days.
CREATE SCHEMA IF NOT EXISTS rm;

-- One row per accepted usage event. payload_hash tells a duplicate (same payload) from a
-- conflict (same id, different payload). event_id is the stored event's id.
CREATE TABLE ledger.usage_dedupe (
    tenant_id        text        NOT NULL,
    client_event_id  text        NOT NULL,
    payload_hash     text        NOT NULL,
    event_id         uuid        NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, client_event_id)
);

-- Rollup per tenant, metric, local day and usage stream shard (see docs/read-models.md).
CREATE TABLE rm.usage_daily_shards (
    tenant_id    text    NOT NULL,
    metric       text    NOT NULL,
    day          date    NOT NULL,
    shard        int     NOT NULL,
    quantity     numeric NOT NULL,
    event_count  bigint  NOT NULL,
    PRIMARY KEY (tenant_id, metric, day, shard)
);

CREATE VIEW rm.usage_daily AS
SELECT tenant_id, metric, day, sum(quantity) AS quantity, sum(event_count)::bigint AS event_count
  FROM rm.usage_daily_shards
 GROUP BY tenant_id, metric, day;
