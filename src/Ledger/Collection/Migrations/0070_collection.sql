-- Collection read models (src/Ledger/Collection/CollectionProjection.cs), written inline with
-- the payment stream's appends and guarded by its version, so a replay converges.
CREATE SCHEMA IF NOT EXISTS rm;

-- The successful payment of each invoice: how refunds find the payment intent and how
-- disputes and refunds that carry no metadata find their invoice.
CREATE TABLE rm.invoice_payments (
    invoice_id         text        PRIMARY KEY,
    tenant_id          text        NOT NULL,
    payment_intent_id  text        NOT NULL UNIQUE,
    charge_id          text        NULL UNIQUE,
    amount_minor       bigint      NOT NULL,
    currency           text        NOT NULL,
    attempt            int         NOT NULL,
    recorded_from      text        NOT NULL,
    paid_at            timestamptz NOT NULL,
    last_version       bigint      NOT NULL
);

-- Collection progress per invoice: attempting, retrying, paid, stopped (handed to dunning).
CREATE TABLE rm.invoice_collection (
    invoice_id      text        PRIMARY KEY,
    tenant_id       text        NOT NULL,
    status          text        NOT NULL,
    attempts        int         NOT NULL,
    last_code       text        NULL,
    last_message    text        NULL,
    updated_at      timestamptz NOT NULL,
    last_version    bigint      NOT NULL
);
CREATE INDEX invoice_collection_status_idx ON rm.invoice_collection (status);

-- Disputes opened against invoices' charges (invoice.disputed.v1).
CREATE TABLE rm.invoice_disputes (
    dispute_id         text        PRIMARY KEY,
    invoice_id         text        NOT NULL,
    tenant_id          text        NOT NULL,
    charge_id          text        NULL,
    payment_intent_id  text        NULL,
    amount_minor       bigint      NOT NULL,
    currency           text        NOT NULL,
    reason             text        NOT NULL,
    status             text        NOT NULL,
    opened_at          timestamptz NOT NULL,
    version            bigint      NOT NULL
);
CREATE INDEX invoice_disputes_invoice_idx ON rm.invoice_disputes (invoice_id);
