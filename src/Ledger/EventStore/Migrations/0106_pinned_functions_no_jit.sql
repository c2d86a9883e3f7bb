-- Every function that pins its plans with enable_seqscan = off also turns JIT off
-- (docs/architecture.md "Pinned plans"). With sequential scans disabled, a statement that has no
-- index path (a one-row table, a filter no index serves) is planned as a "disabled" scan costed
-- at 1e10, far above jit_above_cost, and PostgreSQL then JIT-compiles it on every execution:
-- 20-160 ms for a one-row lock and update in the webhook dispatcher's first version (migration
-- 0105, which sets jit = off itself). None of the other pinned functions showed it in
-- pg_stat_statements, but a statement added later, or a plan that changes with the data, would
-- hit the same cliff. Their statements are short OLTP work, where JIT never pays for itself.
-- Functions created later that pin plans should set jit = off too (a test checks).

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
          FROM pg_proc p
         WHERE p.pronamespace = 'ledger'::regnamespace
           AND 'enable_seqscan=off' = ANY (p.proconfig)
           AND NOT ('jit=off' = ANY (p.proconfig))
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET jit = off', f);
    END LOOP;
END;
$$;
