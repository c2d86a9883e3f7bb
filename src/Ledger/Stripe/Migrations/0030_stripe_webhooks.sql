-- Stripe webhook receipts and Stripe-object ownership.
-- Invariants:
--  * One receipt per Stripe event id, inserted in the same transaction as the event's
--    stripe.webhook_received.v1 append and its processing job: a duplicate delivery fails on
--    the primary key and rolls all three back, so the dedupe record can never exist without
--    the event (openmeter#5118) and the event is processed at most once.
--  * processed_at is set exactly once, in the processing job's completing transaction
--    (ledger.mark_stripe_webhook_processed raises LW001 when it is already set).
--  * A Stripe object id (cus_, pi_, ch_) belongs to at most one tenant.

CREATE TABLE ledger.stripe_webhook_receipts (
    stripe_event_id   text        PRIMARY KEY,
    type              text        NOT NULL,
    tenant_id         text        NOT NULL,
    stream_id         text        NOT NULL,
    matched           boolean     NOT NULL,
    livemode          boolean     NOT NULL,
    object_id         text        NULL,
    stripe_created_at timestamptz NOT NULL,
    received_at       timestamptz NOT NULL,
    processed_at      timestamptz NULL,
    outcome           text        NULL CHECK (outcome IN ('applied', 'ignored', 'flagged')),
    outcome_detail    text        NULL
);

CREATE INDEX stripe_webhook_receipts_tenant_idx ON ledger.stripe_webhook_receipts (tenant_id, received_at);
CREATE INDEX stripe_webhook_receipts_unprocessed_idx ON ledger.stripe_webhook_receipts (received_at) WHERE processed_at IS NULL;

CREATE TABLE ledger.stripe_links (
    stripe_id  text        PRIMARY KEY,
    tenant_id  text        NOT NULL,
    kind       text        NOT NULL,
    linked_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION ledger.mark_stripe_webhook_processed(p_event_id text, p_outcome text, p_detail text, p_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger.stripe_webhook_receipts
       SET processed_at = p_at, outcome = p_outcome, outcome_detail = p_detail
     WHERE stripe_event_id = p_event_id AND processed_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Stripe event % is unknown or already processed', p_event_id USING ERRCODE = 'LW001';
    END IF;
END;
$$;

-- Links a Stripe object to a tenant. Linking again to the same tenant is a no-op; linking to
-- another tenant is an error (LW002), never a silent overwrite or a silent drop.
CREATE FUNCTION ledger.link_stripe_object(p_stripe_id text, p_tenant text, p_kind text, p_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_owner text;
BEGIN
    INSERT INTO ledger.stripe_links (stripe_id, tenant_id, kind, linked_at)
    VALUES (p_stripe_id, p_tenant, p_kind, p_at)
    ON CONFLICT (stripe_id) DO NOTHING;
    SELECT tenant_id INTO v_owner FROM ledger.stripe_links WHERE stripe_id = p_stripe_id;
    IF v_owner <> p_tenant THEN
        RAISE EXCEPTION 'Stripe object % belongs to tenant %, not %', p_stripe_id, v_owner, p_tenant USING ERRCODE = 'LW002';
    END IF;
END;
$$;
