-- Grouped appends (EventStore.AppendGroups.cs): a unit of work holding several single-event
-- NoStream (or Exact) appends to distinct streams sends them as one set-based statement. The
-- rows its CTEs could not write (stream taken, stale version, archived, event id stored) go,
-- in the same statement, through this wrapper around ledger.append_to_stream.
-- Invariants:
--  * Results and errors are append_to_stream's, unchanged: the wrapper only adds which append
--    of the group failed. An LD00x error is re-raised with its SQLSTATE, message and HINT, and
--    the append's ordinal (1-based position in the statement's arrays) in the error's COLUMN
--    field, because the store maps errors to appends by batch command and one command covers
--    many appends. Not in DETAIL: Npgsql redacts DETAIL unless the connection string sets
--    Include Error Detail. DETAIL repeats it for people reading the server log.
--  * The whole statement fails with the error, so nothing of the group stays written.
--  * The exception block costs a subtransaction per call; only rows that missed the set-based
--    path pay it (retries and conflicts), never a clean append.
CREATE FUNCTION ledger.append_grouped_fallback(
    p_ordinal bigint,
    p_tenant text, p_stream text, p_stream_type text, p_expected bigint,
    p_event_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[],
    p_correlation_id text, p_causation_id text, p_actor text, p_recorded_at timestamptz)
RETURNS TABLE (first_version bigint, last_version bigint, first_position bigint,
               last_position bigint, duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_state   text;
    v_message text;
    v_hint    text;
BEGIN
    RETURN QUERY SELECT * FROM ledger.append_to_stream(
        p_tenant, p_stream, p_stream_type, p_expected, p_event_ids, p_types, p_data, p_metadata,
        p_correlation_id, p_causation_id, p_actor, p_recorded_at);
EXCEPTION WHEN SQLSTATE 'LD001' OR SQLSTATE 'LD002' OR SQLSTATE 'LD003' THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT, v_hint = PG_EXCEPTION_HINT;
    RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message, HINT = coalesce(v_hint, ''),
        COLUMN = p_ordinal::text, DETAIL = 'grouped append ' || p_ordinal;
END;
$$;
