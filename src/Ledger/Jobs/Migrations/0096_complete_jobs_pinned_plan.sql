-- Completing claimed jobs set-wise with a pinned plan (JobTable.Outcomes.cs). The statement ran
-- as a prepared top-level UPDATE ... FROM unnest(...); on a fresh install its generic plan was
-- made while ledger.jobs was small (a hash join over a sequential scan of jobs) and kept until
-- the next ANALYZE, so every completion scanned the whole table: 1.5 ms per call after 20 s of
-- the webhook benchmark, growing with the table (docs/benchmarks.md "Fourth session"). As
-- ledger.claim_jobs does, the function switches sequential scans, hash and merge joins off: one
-- primary-key probe per job at any table size.
-- Invariant: a job is completed only while its lease holds (same token, still running); the
-- ids returned are exactly the jobs completed, so a caller can tell which leases were lost.

CREATE FUNCTION ledger.complete_jobs(p_at timestamptz, p_ids bigint[], p_tokens uuid[])
RETURNS SETOF bigint
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
BEGIN
    RETURN QUERY
    UPDATE ledger.jobs j
       SET state = 'completed', completed_at = p_at, updated_at = p_at,
           locked_by = NULL, lease_token = NULL, lease_until = NULL
      FROM unnest(p_ids, p_tokens) AS c(id, token)
     WHERE j.id = c.id AND j.lease_token = c.token AND j.state = 'running'
    RETURNING j.id;
END;
$$;
