-- Resolving a Stripe event's tenant from the objects it references (StripeTenantResolver), once
-- per delivery without tenant metadata. Before: a prepared statement over ledger.stripe_links
-- (two rows per processed payment, growing fast) and rm.tenants.stripe_customer_id (no index: a
-- full scan of the tenants per delivery). Now one function with an index plan pinned as in
-- 0095-0097 (architecture.md "Pinned plans"), and an index for customers configured on tenants.
-- Invariant: the rows are every (Stripe id, tenant) pair either source knows for the ids given;
-- the caller picks by its order of preference (customer first).

CREATE INDEX tenants_stripe_customer_idx ON rm.tenants (stripe_customer_id) WHERE stripe_customer_id IS NOT NULL;

CREATE FUNCTION ledger.stripe_tenant_candidates(p_stripe_ids text[])
RETURNS TABLE (stripe_id text, tenant_id text)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
BEGIN
    RETURN QUERY
    SELECT l.stripe_id, l.tenant_id FROM ledger.stripe_links l WHERE l.stripe_id = ANY (p_stripe_ids)
    UNION
    SELECT t.stripe_customer_id, t.tenant_id FROM rm.tenants t WHERE t.stripe_customer_id = ANY (p_stripe_ids);
END;
$$;
