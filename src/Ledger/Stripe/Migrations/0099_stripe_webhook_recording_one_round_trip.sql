-- Recording a batch of Stripe deliveries in one round trip (StripeWebhookInbox, issue 5). Before,
-- the inbox inserted the receipts first (one round trip, to learn which events were fresh), then
-- appended the fresh events with their processing job (a second), then committed (a third); on
-- a saturated 2-core machine each round trip waits for the scheduler as well as the server.
-- Now the receipts, the appends and the job go in one batch, an implicit transaction, before
-- anyone knows which deliveries are duplicates: the event store's idempotent append (the
-- received event's id is derived from the Stripe event id) tells, and this function enqueues
-- processing for exactly the events the current transaction appended.
-- Invariants:
--  * An event is appended by exactly one committed transaction, so it is in exactly one job.
--  * One fresh event gets a job of its own (p_single_type, dedupe key p_single_dedupe_prefix ||
--    its Stripe event id, payload p_single_payloads[i]); several get one batch job named by the
--    first of them in the order given (p_batch_dedupe_prefix || that id), whose payload is
--    {p_batch_key: [p_items[i] of the fresh events, in the order given]}. The caller serializes
--    the payloads, so their JSON shape lives in one place (C#).
--  * Nothing fresh: no job, NULL returned. Otherwise the job's id.
-- The probe is the primary-key-like unique index on events.event_id; as in 0095-0098 the plan
-- is pinned to index probes (architecture.md "Pinned plans").

CREATE FUNCTION ledger.enqueue_recorded_stripe_webhooks(
    p_event_ids uuid[], p_stripe_ids text[], p_tenants text[], p_correlation_ids text[],
    p_single_payloads jsonb[], p_items jsonb[],
    p_single_type text, p_single_dedupe_prefix text,
    p_batch_type text, p_batch_dedupe_prefix text, p_batch_key text,
    p_now timestamptz)
RETURNS bigint
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
    v_fresh   int[];
    v_first   int;
    v_tenants text[];
    v_job     bigint;
BEGIN
    SELECT array_agg(u.ord::int ORDER BY u.ord) INTO v_fresh
      FROM unnest(p_event_ids) WITH ORDINALITY AS u(event_id, ord)
     WHERE EXISTS (SELECT 1 FROM ledger.events e WHERE e.event_id = u.event_id AND e.tx_id = pg_current_xact_id());
    IF v_fresh IS NULL THEN
        RETURN NULL;
    END IF;

    v_first := v_fresh[1];
    IF cardinality(v_fresh) = 1 THEN
        SELECT j.job_id INTO v_job
          FROM ledger.enqueue_job(p_single_type, p_single_payloads[v_first], p_tenants[v_first], p_now,
                                  p_single_dedupe_prefix || p_stripe_ids[v_first], p_correlation_ids[v_first], p_now) j;
        RETURN v_job;
    END IF;

    SELECT array_agg(DISTINCT p_tenants[o]) INTO v_tenants FROM unnest(v_fresh) AS o;
    SELECT j.job_id INTO v_job
      FROM ledger.enqueue_job(p_batch_type,
                              jsonb_build_object(p_batch_key, (SELECT jsonb_agg(p_items[o] ORDER BY o) FROM unnest(v_fresh) AS o)),
                              CASE WHEN cardinality(v_tenants) = 1 THEN v_tenants[1] END, p_now,
                              p_batch_dedupe_prefix || p_stripe_ids[v_first], p_correlation_ids[v_first], p_now) j;
    RETURN v_job;
END;
$$;
