-- Webhook processing is scheduled from the log, off the acknowledgement path (issue 5,
-- docs/stripe.md "Acceptance and dispatch"). Before, the transaction that recorded a batch of
-- deliveries also wrote their receipts and their processing job; measured in the webhook
-- benchmark, those two writes cost about 30 % of the deliveries acknowledged per second, far
-- beyond their statements' execution time. Now the recording transaction only appends the
-- stripe.webhook_received.v1 events, and a dispatcher (StripeWebhookDispatcher) reads them back
-- in log order from a checkpoint, a batch at a time, and writes their receipts and jobs.
-- Invariants:
--  * ledger.stripe_webhook_dispatch holds one row: the log position up to which every
--    stripe.webhook_received.v1 event has its receipt (and, if the receipt is the dispatcher's,
--    its processing job). It only moves forward, in the transaction that writes the receipts
--    and jobs of the events it passes, so a crash loses neither and repeats neither.
--  * The caller passes a settled position (LogFence): no transaction still running can commit
--    an event at or below it, so moving the checkpoint there skips nothing.
--  * Dispatchers of several Hosts serialise on the checkpoint row (FOR UPDATE); the second
--    continues from where the first stopped.
--  * A receipt that already exists (written by a Host of the previous version, which recorded
--    receipts and jobs at acceptance) is skipped with its event: that Host enqueued its job.
--    So a rolling upgrade neither drops nor doubles processing.
--  * ledger.stripe_webhook_receipts.received_at is the event's recorded_at: when the delivery
--    was acknowledged, not when it was dispatched.

CREATE TABLE ledger.stripe_webhook_dispatch (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Every event stored so far was recorded with its receipt and job by the previous version.
INSERT INTO ledger.stripe_webhook_dispatch (position, updated_at)
SELECT coalesce(max(global_position), 0), now() FROM ledger.events;

-- One dispatch pass: locks the checkpoint, takes the webhook events after it (at most p_limit,
-- within p_window positions and at most up to p_up_to), inserts their receipts (fields read
-- from the event's data under the JSON names in p_keys: stripe event id, type, object id,
-- livemode, Stripe's created time, matched), advances the checkpoint past them and returns the
-- events whose receipt this call inserted, in log order, for the caller to enqueue their
-- processing in the same transaction. o_to is the new checkpoint, o_taken the events passed.
-- The range scan is pinned to the primary key (docs/architecture.md "Pinned plans"). JIT is off:
-- with sequential scans disabled, the one-row checkpoint table's only plan is a "disabled" scan
-- costed at 1e10, far above jit_above_cost, and compiling it took 20-160 ms per statement (seen
-- in the webhook benchmark: the pass's lock and update of the checkpoint cost 70 ms per call).
CREATE FUNCTION ledger.dispatch_stripe_webhooks(
    p_up_to bigint, p_window bigint, p_limit int, p_type text, p_keys text[], p_now timestamptz,
    OUT o_from bigint, OUT o_to bigint, OUT o_taken int,
    OUT o_event_ids text[], OUT o_tenants text[], OUT o_correlation_ids text[])
LANGUAGE plpgsql
SET enable_seqscan = off
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $$
DECLARE
    v_last bigint;
BEGIN
    SELECT d.position INTO o_from FROM ledger.stripe_webhook_dispatch d FOR UPDATE;
    o_to := least(p_up_to, o_from + p_window);
    o_taken := 0;
    IF o_to <= o_from THEN
        o_to := o_from;
        RETURN;
    END IF;

    WITH picked AS (
        SELECT e.global_position, e.tenant_id, e.stream_id, e.correlation_id, e.recorded_at,
               e.data ->> p_keys[1] AS stripe_event_id, e.data
          FROM ledger.events e
         WHERE e.global_position > o_from AND e.global_position <= o_to AND e.type = p_type
         ORDER BY e.global_position
         LIMIT p_limit
    ), fresh AS (
        INSERT INTO ledger.stripe_webhook_receipts AS r
            (stripe_event_id, type, tenant_id, stream_id, matched, livemode, object_id, stripe_created_at, received_at)
        SELECT p.stripe_event_id, p.data ->> p_keys[2], p.tenant_id, p.stream_id, (p.data ->> p_keys[6])::boolean,
               (p.data ->> p_keys[4])::boolean, p.data ->> p_keys[3], (p.data ->> p_keys[5])::timestamptz, p.recorded_at
          FROM picked p
         ORDER BY p.global_position
        ON CONFLICT (stripe_event_id) DO NOTHING
        RETURNING r.stripe_event_id
    )
    SELECT (SELECT count(*)::int FROM picked), (SELECT max(k.global_position) FROM picked k),
           array_agg(p.stripe_event_id ORDER BY p.global_position),
           array_agg(p.tenant_id ORDER BY p.global_position),
           array_agg(p.correlation_id ORDER BY p.global_position)
      INTO o_taken, v_last, o_event_ids, o_tenants, o_correlation_ids
      FROM fresh f JOIN picked p ON p.stripe_event_id = f.stripe_event_id;

    -- A full page may stop short of the window: continue after its last event next time.
    IF o_taken = p_limit THEN
        o_to := v_last;
    END IF;

    UPDATE ledger.stripe_webhook_dispatch SET position = o_to, updated_at = p_now;
END;
$$;

-- The recording transaction no longer enqueues processing (0099's function).
DROP FUNCTION ledger.enqueue_recorded_stripe_webhooks(uuid[], text[], text[], text[], jsonb[], jsonb[], text, text, text, text, text, timestamptz);
