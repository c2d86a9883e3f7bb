-- Read model of tenants' billing profiles (projected inline from tenant-{id} streams).
-- Invariant: version = the tenant stream's version this row reflects; writes apply only when
-- they carry a higher version, so replaying events is a no-op.
CREATE SCHEMA IF NOT EXISTS rm;

CREATE TABLE rm.tenants (
    tenant_id              text        PRIMARY KEY,
    name                   text        NOT NULL,
    plan_id                text        NOT NULL,
    currency               text        NOT NULL,
    billing_email          text        NOT NULL,
    time_zone              text        NOT NULL,
    stripe_customer_id     text        NULL,
    default_payment_method text        NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    version                bigint      NOT NULL
);
