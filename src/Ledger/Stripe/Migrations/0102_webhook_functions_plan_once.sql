-- The webhook path's pinned functions plan once per connection (as migrations 0100 and 0101 do
-- for the event store's and the job queue's; docs/architecture.md "Pinned plans"). In the
-- webhook benchmark the recording batch's job statement (0099) was planned on 7,699 of 8,732
-- calls (140 µs each), the processing batch's reads of link owners and processed receipts on
-- every call.
-- ledger.stripe_link_owners and ledger.stripe_webhooks_processed_among were SQL functions, which
-- PostgreSQL 15 plans on every call when they cannot be inlined (their SET clause prevents it);
-- they are now plpgsql with the same statement and results. The other functions keep their
-- bodies and gain plan_cache_mode = force_generic_plan: they already switch sequential scans,
-- hash and merge joins off, so the generic plan is the index nested loop a custom plan would be.

CREATE OR REPLACE FUNCTION ledger.stripe_link_owners(p_stripe_ids text[])
RETURNS TABLE (stripe_id text, tenant_id text) LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    SELECT l.stripe_id, l.tenant_id FROM ledger.stripe_links l WHERE l.stripe_id = ANY (p_stripe_ids);
END;
$$;

CREATE OR REPLACE FUNCTION ledger.stripe_webhooks_processed_among(p_event_ids text[])
RETURNS SETOF text LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    SELECT r.stripe_event_id FROM ledger.stripe_webhook_receipts r
     WHERE r.stripe_event_id = ANY (p_event_ids) AND r.processed_at IS NOT NULL;
END;
$$;

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
          FROM pg_proc p
         WHERE p.pronamespace = 'ledger'::regnamespace
           AND p.proname IN ('mark_stripe_webhooks_processed', 'link_stripe_objects', 'stripe_tenant_candidates',
                             'enqueue_recorded_stripe_webhooks')
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET plan_cache_mode = force_generic_plan', f);
    END LOOP;
END;
$$;
