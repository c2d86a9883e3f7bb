-- The event store's set-wise reads with pinned plans (EventStore.Read.cs): by event ids, and
-- whole streams by (tenant, stream) pairs. The webhook processor runs both per batch. As plain
-- prepared statements their generic plans, cached while ledger.events was small and analyzed,
-- were a sequential scan (ids) and a hash semi join over one (streams), kept until the next
-- ANALYZE while the log grew (architecture.md "Pinned plans"). Same cure as 0095/0096: the
-- statements run in functions that switch sequential scans, hash and merge joins off, so each
-- id or stream is an index probe at any table size.
-- Invariant: the rows are ledger.events' rows, unfiltered beyond the ids or streams asked for;
-- callers order them (streams: by tenant, stream, version) and pass each stream once (a pair
-- given twice returns its events twice; EventStore.ReadStreamsAsync passes distinct pairs).

CREATE FUNCTION ledger.events_by_ids(p_event_ids uuid[])
RETURNS SETOF ledger.events
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
BEGIN
    RETURN QUERY SELECT * FROM ledger.events e WHERE e.event_id = ANY (p_event_ids);
END;
$$;

CREATE FUNCTION ledger.events_of_streams(p_tenants text[], p_streams text[])
RETURNS SETOF ledger.events
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
BEGIN
    RETURN QUERY
    SELECT e.*
      FROM unnest(p_tenants, p_streams) AS s(tenant_id, stream_id)
      JOIN ledger.events e ON e.tenant_id = s.tenant_id AND e.stream_id = s.stream_id;
END;
$$;
