-- The job queue's pinned functions plan once per connection (as migration 0100 does for the
-- event store's; docs/architecture.md "Pinned plans").
-- ledger.claim_jobs was a SQL function. A SQL function with SET clauses is never inlined, and
-- PostgreSQL 15 keeps a SQL function's plans only for the duration of one call, so every claim
-- planned its CTE again (2,115 plans for 2,115 calls in the webhook benchmark, a fifth of its
-- time). It is now plpgsql, whose plans are cached per connection, with the same statement,
-- results and settings, plus generic plans forced and hash and merge joins off (a generic plan
-- estimates the claimed set at a tenth of the table, and the join back to ledger.jobs must stay
-- a primary-key probe per claimed job).
-- ledger.complete_jobs (0096) forces generic plans too: its custom plans, chosen because they
-- count the actual array elements, were re-planned on nine calls in ten.

CREATE OR REPLACE FUNCTION ledger.claim_jobs(
    p_now timestamptz, p_types text[], p_limit int, p_worker text, p_lease interval)
RETURNS TABLE (id bigint, type text, payload text, tenant_id text, attempts int,
               correlation_id text, run_at timestamptz, lease_token uuid)
LANGUAGE plpgsql
SET enable_bitmapscan = off
SET enable_seqscan = off
SET enable_sort = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
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
END;
$$;

ALTER FUNCTION ledger.complete_jobs(timestamptz, bigint[], uuid[]) SET plan_cache_mode = force_generic_plan;
