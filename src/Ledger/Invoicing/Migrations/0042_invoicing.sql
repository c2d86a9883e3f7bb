-- Invoicing: the gap-free number counter and the invoice read models (docs/read-models.md).
CREATE SCHEMA IF NOT EXISTS rm;

-- One row per year. Finalization increments it inside its own transaction: the row lock is
-- held until commit and a rollback undoes the increment, so numbers have no gaps.
CREATE TABLE ledger.invoice_numbers (
    year         int    PRIMARY KEY,
    last_number  bigint NOT NULL
);

CREATE TABLE rm.invoices (
    invoice_id            text        PRIMARY KEY,
    tenant_id             text        NOT NULL,
    number                text        NULL UNIQUE,
    period                text        NOT NULL,
    period_start          timestamptz NOT NULL,
    period_end            timestamptz NOT NULL,
    status                text        NOT NULL,
    currency              text        NOT NULL,
    plan_id               text        NOT NULL,
    catalogue_version     text        NOT NULL,
    total_minor           bigint      NOT NULL,
    amount_paid_minor     bigint      NOT NULL DEFAULT 0,
    amount_refunded_minor bigint      NOT NULL DEFAULT 0,
    amount_credited_minor bigint      NOT NULL DEFAULT 0,
    amount_due_minor      bigint      NOT NULL DEFAULT 0,
    drafted_at            timestamptz NOT NULL,
    finalized_at          timestamptz NULL,
    due_at                timestamptz NULL,
    paid_at               timestamptz NULL,
    closed_at             timestamptz NULL,
    last_version          bigint      NOT NULL,
    UNIQUE (tenant_id, period)
);
CREATE INDEX invoices_status_idx ON rm.invoices (status, period);

CREATE TABLE rm.invoice_lines (
    invoice_id         text    NOT NULL,
    line_no            int     NOT NULL,
    kind               text    NOT NULL,
    description        text    NOT NULL,
    metric             text    NULL,
    plan_id            text    NULL,
    for_period         text    NULL,
    quantity           numeric NOT NULL,
    included_quantity  numeric NOT NULL,
    billable_quantity  numeric NOT NULL,
    unit_price_minor   numeric NULL,
    amount_minor       bigint  NOT NULL,
    reference          text    NULL,
    PRIMARY KEY (invoice_id, line_no)
);

-- Usage quantities each invoice accounts for, per usage period and metric (its own period,
-- and earlier periods' late usage). Late usage of P = rm.usage_daily over P − this, for
-- invoices that are no longer drafts.
CREATE TABLE rm.invoice_usage (
    invoice_id    text    NOT NULL,
    tenant_id     text    NOT NULL,
    usage_period  text    NOT NULL,
    metric        text    NOT NULL,
    quantity      numeric NOT NULL,
    PRIMARY KEY (invoice_id, usage_period, metric)
);
CREATE INDEX invoice_usage_tenant_idx ON rm.invoice_usage (tenant_id, usage_period);

-- Movements of tenants' credit balance, one per (event, kind): credit carried forward by a
-- finalized invoice (+), credit brought forward and consumed (−), credit-note excess (+).
CREATE TABLE rm.tenant_balance_entries (
    event_id     uuid        NOT NULL,
    kind         text        NOT NULL,
    tenant_id    text        NOT NULL,
    invoice_id   text        NOT NULL,
    currency     text        NOT NULL,
    amount_minor bigint      NOT NULL,
    at           timestamptz NOT NULL,
    PRIMARY KEY (event_id, kind)
);
CREATE INDEX tenant_balance_entries_tenant_idx ON rm.tenant_balance_entries (tenant_id);

CREATE VIEW rm.tenant_balances AS
SELECT t.tenant_id,
       t.currency,
       coalesce(b.credit, 0)::bigint      AS credit_balance_minor,
       coalesce(o.outstanding, 0)::bigint AS outstanding_minor,
       coalesce(o.open_invoices, 0)::bigint AS open_invoices
  FROM rm.tenants t
  LEFT JOIN (SELECT tenant_id, sum(amount_minor) AS credit FROM rm.tenant_balance_entries GROUP BY tenant_id) b
         ON b.tenant_id = t.tenant_id
  LEFT JOIN (SELECT tenant_id, sum(amount_due_minor) AS outstanding, count(*) AS open_invoices
               FROM rm.invoices WHERE status IN ('open', 'uncollectible') GROUP BY tenant_id) o
         ON o.tenant_id = t.tenant_id;
