-- Pinned functions plan once per connection (docs/architecture.md "Pinned plans").
-- A statement inside a plpgsql function is planned through the plan cache: for its first five
-- executions with a custom plan, then with a generic plan only if that looks no dearer. For the
-- set-wise statements over unnest(array parameters) the custom plan always looks cheaper (the
-- planner counts the actual array elements, the generic plan assumes ten), so PostgreSQL planned
-- them again on every call: pg_stat_statements with track_planning showed 10,294 plans for
-- 10,291 calls of the grouped new-stream append, 336 µs of planning per call on top of 647 µs of
-- execution, in the webhook benchmark (docs/benchmarks.md "Sixth session").
-- These functions already switch sequential scans, hash and merge joins off, so their generic
-- plan is the same index nested loop a custom plan would be; forcing it saves the planning.
-- ledger.append_to_stream (every lone append) gets the same settings: each of its statements
-- is a key lookup or a plain insert, and its duplicate path re-planned its ANY(...) read per call.
-- Invariant (checked by PinnedPlanTests): every ledger function that pins its plan with
-- enable_seqscan = off also forces generic plans.

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
          FROM pg_proc p
         WHERE p.pronamespace = 'ledger'::regnamespace
           AND p.proname IN ('append_new_streams_grouped', 'append_exact_grouped', 'events_by_ids', 'events_of_streams')
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET plan_cache_mode = force_generic_plan', f);
    END LOOP;
END;
$$;

ALTER FUNCTION ledger.append_to_stream(text, text, text, bigint, uuid[], text[], jsonb[], jsonb[], text, text, text, timestamptz)
    SET enable_seqscan = off;
ALTER FUNCTION ledger.append_to_stream(text, text, text, bigint, uuid[], text[], jsonb[], jsonb[], text, text, text, timestamptz)
    SET enable_hashjoin = off;
ALTER FUNCTION ledger.append_to_stream(text, text, text, bigint, uuid[], text[], jsonb[], jsonb[], text, text, text, timestamptz)
    SET enable_mergejoin = off;
ALTER FUNCTION ledger.append_to_stream(text, text, text, bigint, uuid[], text[], jsonb[], jsonb[], text, text, text, timestamptz)
    SET plan_cache_mode = force_generic_plan;
