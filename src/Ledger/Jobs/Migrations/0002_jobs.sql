-- Durable jobs: one table for queued, scheduled, running, completed and dead jobs (see docs/jobs.md).
-- Invariants:
--  * state 'pending' means claimable once run_at has passed; lease_until, locked_by and
--    lease_token are NULL.
--  * state 'running' means claimed by locked_by under lease_token until lease_until; once
--    lease_until has passed (the worker died) the job is claimable again and the next claim
--    gets a new lease_token, which makes the old worker's completion fail.
--  * attempts counts claims since the job was (re-)queued; a rescheduled run is not counted.
--  * every time used here is passed in by the caller (its TimeProvider), never now(), so a
--    test clock moves the whole queue.
--  * dedupe_key is unique for ever (completed rows keep it): the same key enqueued twice is
--    one job; the same key with a different type or payload is an error (LJ002), never a
--    silently dropped job.

CREATE TABLE ledger.jobs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type            text        NOT NULL,
    payload         jsonb       NOT NULL,
    tenant_id       text        NULL,
    state           text        NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'running', 'completed', 'dead')),
    run_at          timestamptz NOT NULL,
    attempts        int         NOT NULL DEFAULT 0,
    dedupe_key      text        NULL,
    correlation_id  text        NULL,
    locked_by       text        NULL,
    lease_token     uuid        NULL,
    lease_until     timestamptz NULL,
    last_error      text        NULL,
    errors          jsonb       NOT NULL DEFAULT '[]'::jsonb,
    note            text        NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    completed_at    timestamptz NULL,
    dead_at         timestamptz NULL,
    CONSTRAINT jobs_dedupe_key_key UNIQUE (dedupe_key),
    CONSTRAINT jobs_lease_matches_state CHECK ((state = 'running') = (lease_until IS NOT NULL))
);

-- The claim scans this: a pending job is claimable at run_at, a running one at lease expiry.
CREATE INDEX jobs_claimable_idx ON ledger.jobs ((coalesce(lease_until, run_at)), id)
    WHERE state IN ('pending', 'running');
CREATE INDEX jobs_dead_idx ON ledger.jobs (dead_at DESC, id) WHERE state = 'dead';

-- Enqueue one job. Returns the job's id and whether it already existed under the dedupe key.
-- Notifies ledger_jobs when the job is due now so idle workers wake at once.
-- Error LJ002: the dedupe key belongs to a job with another type or payload.
CREATE FUNCTION ledger.enqueue_job(
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
        IF coalesce(p_run_at, p_now) <= p_now THEN
            PERFORM pg_notify('ledger_jobs', p_type);
        END IF;
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

-- Claim up to p_limit due jobs of p_types for p_worker under a new lease (see JobTable.cs).
-- A pending job is claimable at run_at, a running one once its lease has expired (its worker
-- died or hung); SKIP LOCKED lets concurrent workers take disjoint sets without waiting. A claim
-- taken over from an expired lease records that in the error history, because the attempt it
-- replaces never reported back.
-- The planner settings pin the plan to an ordered walk of jobs_claimable_idx stopping after
-- p_limit rows. Without them a burst enqueued before autovacuum has analysed the table is
-- planned as a bitmap scan plus sort over every due row, making each claim O(queue length).
CREATE FUNCTION ledger.claim_jobs(
    p_now timestamptz, p_types text[], p_limit int, p_worker text, p_lease interval)
RETURNS TABLE (id bigint, type text, payload text, tenant_id text, attempts int,
               correlation_id text, run_at timestamptz, lease_token uuid)
LANGUAGE sql
SET enable_bitmapscan = off
SET enable_seqscan = off
SET enable_sort = off
AS $$
    WITH due AS (
        SELECT j.id, j.run_at, j.state AS previous_state, j.locked_by AS previous_worker
          FROM ledger.jobs j
         WHERE j.state IN ('pending', 'running')
           AND coalesce(j.lease_until, j.run_at) <= p_now
           AND j.type = ANY (p_types)
         ORDER BY coalesce(j.lease_until, j.run_at), j.id
         LIMIT p_limit
           FOR UPDATE SKIP LOCKED)
    UPDATE ledger.jobs j
       SET state = 'running', attempts = j.attempts + 1, locked_by = p_worker,
           lease_token = gen_random_uuid(), lease_until = p_now + p_lease, updated_at = p_now,
           errors = CASE WHEN due.previous_state = 'running'
                         THEN j.errors || jsonb_build_object('attempt', j.attempts, 'at', p_now, 'worker', due.previous_worker,
                              'error', 'lease expired: the worker neither completed nor failed the job')
                         ELSE j.errors END
      FROM due
     WHERE j.id = due.id
    RETURNING j.id, j.type, j.payload::text, j.tenant_id, j.attempts, j.correlation_id, due.run_at, j.lease_token;
$$;
