-- Enqueue no longer notifies inside the enqueuing transaction: a NOTIFY there serialises every
-- notifying commit in the cluster (WAL flush included) behind one lock. The enqueuer pulses
-- ledger_jobs after its commit instead (ChangeNotifier, see docs/architecture.md).
-- Error LJ002: the dedupe key belongs to a job with another type or payload.
CREATE OR REPLACE FUNCTION ledger.enqueue_job(
    p_type text, p_payload jsonb, p_tenant text, p_run_at timestamptz, p_dedupe_key text,
    p_correlation_id text, p_now timestamptz)
RETURNS TABLE (job_id bigint, duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_id      bigint;
    v_type    text;
    v_payload jsonb;
BEGIN
    -- The conflict is not dropped: it is reported (duplicate = true) or raised below.
    INSERT INTO ledger.jobs AS j (type, payload, tenant_id, run_at, dedupe_key, correlation_id, created_at, updated_at)
    VALUES (p_type, p_payload, p_tenant, coalesce(p_run_at, p_now), p_dedupe_key, p_correlation_id, p_now, p_now)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING j.id INTO v_id;

    IF v_id IS NOT NULL THEN
        RETURN QUERY SELECT v_id, false;
        RETURN;
    END IF;

    SELECT j.id, j.type, j.payload INTO v_id, v_type, v_payload
      FROM ledger.jobs j WHERE j.dedupe_key = p_dedupe_key;
    IF v_type <> p_type OR v_payload <> p_payload THEN
        RAISE EXCEPTION 'dedupe key % already belongs to job % (type %) with a different type or payload', p_dedupe_key, v_id, v_type
            USING ERRCODE = 'LJ002', HINT = v_id::text;
    END IF;
    RETURN QUERY SELECT v_id, true;
END;
$$;
