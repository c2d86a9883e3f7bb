-- API keys for the HTTP surface and the CLI.
-- Invariants:
--  * the key itself is never stored: only its SHA-256 hash (hex) and a short prefix that
--    operators list and revoke by; the prefix is unique so `billing keys revoke <prefix>`
--    names exactly one key.
--  * a tenant key (role 'tenant') is bound to exactly one tenant; other roles to none.
--  * revocation is a timestamp, never a delete, so the audit trail keeps who had access when.
CREATE TABLE ledger.api_keys (
    prefix      text        PRIMARY KEY,
    key_hash    text        NOT NULL UNIQUE,
    role        text        NOT NULL CHECK (role IN ('admin', 'finance', 'ingest', 'tenant')),
    tenant_id   text        NULL,
    description text        NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz NULL,
    CONSTRAINT api_keys_tenant_binding CHECK ((role = 'tenant') = (tenant_id IS NOT NULL))
);
