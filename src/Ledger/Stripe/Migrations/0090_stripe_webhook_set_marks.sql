-- Set-wise marking and linking for batched webhook processing (issue 5, webhook benchmark).
-- Invariants:
--  * outcome is set exactly when processed_at is (constraint below), so "outcome IS NULL" means
--    "not processed yet".
--  * A mark that finds any of its events unknown or already processed raises LW001 and marks
--    nothing (the statement fails as a whole).
--  * Linking keeps 0030's rule: an object already owned by another tenant raises LW002.
-- Why the marks test outcome, not processed_at: the planner took "processed_at IS NULL" as the
-- cue to use stripe_webhook_receipts_unprocessed_idx (whose statistics usually say it is
-- empty) and filtered every unprocessed receipt for the one wanted: O(backlog) per mark, 0.47 ms
-- each at a 3,000-event backlog (pg_stat_statements, webhook benchmark). "outcome IS NULL" does
-- not imply the partial index's predicate, so the primary key is used.
-- Why the set-wise functions pin their plans (as ledger.claim_jobs does): their statements are
-- prepared once per connection, and a plan cached while the tables were small (a fresh install,
-- the benchmark) was a sequential scan or hash join over the whole table, kept until the next
-- ANALYZE: 1.4-3.2 ms per batch call at 20k-40k rows. Every lookup here is by primary key, so an
-- index nested loop is right at any size.

ALTER TABLE ledger.stripe_webhook_receipts
    ADD CONSTRAINT stripe_webhook_receipts_outcome_with_processed_at
    CHECK ((processed_at IS NULL) = (outcome IS NULL));

CREATE OR REPLACE FUNCTION ledger.mark_stripe_webhook_processed(p_event_id text, p_outcome text, p_detail text, p_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger.mark_stripe_webhooks_processed(ARRAY[p_event_id], ARRAY[p_outcome], ARRAY[p_detail], p_at);
END;
$$;

CREATE FUNCTION ledger.mark_stripe_webhooks_processed(p_event_ids text[], p_outcomes text[], p_details text[], p_at timestamptz)
RETURNS void LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
    v_marked int;
BEGIN
    UPDATE ledger.stripe_webhook_receipts r
       SET processed_at = p_at, outcome = u.outcome, outcome_detail = u.detail
      FROM unnest(p_event_ids, p_outcomes, p_details) AS u(id, outcome, detail)
     WHERE r.stripe_event_id = u.id AND r.outcome IS NULL;
    GET DIAGNOSTICS v_marked = ROW_COUNT;
    IF v_marked <> cardinality(p_event_ids) THEN
        RAISE EXCEPTION '% of % Stripe events (first %) are unknown or already processed',
            cardinality(p_event_ids) - v_marked, cardinality(p_event_ids), p_event_ids[1] USING ERRCODE = 'LW001';
    END IF;
END;
$$;

-- Links many Stripe objects at once; the same object twice (same tenant) is one link.
CREATE FUNCTION ledger.link_stripe_objects(p_stripe_ids text[], p_tenants text[], p_kinds text[], p_at timestamptz)
RETURNS void LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
    v_conflict text;
BEGIN
    INSERT INTO ledger.stripe_links (stripe_id, tenant_id, kind, linked_at)
    SELECT DISTINCT ON (u.id) u.id, u.tenant, u.kind, p_at
      FROM unnest(p_stripe_ids, p_tenants, p_kinds) AS u(id, tenant, kind)
     ORDER BY u.id
    ON CONFLICT (stripe_id) DO NOTHING;
    SELECT format('Stripe object %s belongs to tenant %s, not %s', l.stripe_id, l.tenant_id, u.tenant) INTO v_conflict
      FROM unnest(p_stripe_ids, p_tenants) AS u(id, tenant)
      JOIN ledger.stripe_links l ON l.stripe_id = u.id
     WHERE l.tenant_id <> u.tenant
     LIMIT 1;
    IF v_conflict IS NOT NULL THEN
        RAISE EXCEPTION '%', v_conflict USING ERRCODE = 'LW002';
    END IF;
END;
$$;

-- The owners of Stripe objects (batch read-ahead of the linker).
CREATE FUNCTION ledger.stripe_link_owners(p_stripe_ids text[])
RETURNS TABLE (stripe_id text, tenant_id text) LANGUAGE sql STABLE
SET enable_seqscan = off
AS $$
    SELECT l.stripe_id, l.tenant_id FROM ledger.stripe_links l WHERE l.stripe_id = ANY (p_stripe_ids);
$$;

-- Which of these Stripe events were processed already (a processing batch's first read).
CREATE FUNCTION ledger.stripe_webhooks_processed_among(p_event_ids text[])
RETURNS SETOF text LANGUAGE sql STABLE
SET enable_seqscan = off
AS $$
    SELECT r.stripe_event_id FROM ledger.stripe_webhook_receipts r
     WHERE r.stripe_event_id = ANY (p_event_ids) AND r.processed_at IS NOT NULL;
$$;

-- One linking rule: the single-object form (used outside webhook processing, e.g. by the
-- collection job) is the set form with one element.
CREATE OR REPLACE FUNCTION ledger.link_stripe_object(p_stripe_id text, p_tenant text, p_kind text, p_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger.link_stripe_objects(ARRAY[p_stripe_id], ARRAY[p_tenant], ARRAY[p_kind], p_at);
END;
$$;
