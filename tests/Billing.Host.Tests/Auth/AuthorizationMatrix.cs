using Billing.Host.Auth;

namespace Billing.Host.Tests.Auth;

/// <summary>Who calls: one API key per role, a tenant key for the tenant in the path
/// (<c>acme</c>), one for another tenant (<c>globex</c>), and no key at all.</summary>
public enum MatrixCaller
{
    Admin,
    Finance,
    Ingest,
    TenantOwn,
    TenantOther,
    NoKey,
}

/// <summary>What a caller must get. <see cref="Allowed"/>: the endpoint ran (any status but 401
/// and 403 — a 404 for a missing resource or a 400 for a dummy body still proves the gate let it
/// through). <see cref="Hidden"/>: 404, the answer a tenant key gets for another tenant's data.</summary>
public enum Outcome
{
    Allowed,
    Unauthenticated,
    Forbidden,
    Hidden,
}

/// <summary>One endpoint's row: its method and route template exactly as mapped, a concrete path
/// addressing tenant <c>acme</c> where the route has a tenant, an optional JSON body, and the
/// expected outcome per caller. Use a preset from <see cref="Access"/>.</summary>
public sealed record EndpointRow(string Method, string Route, string Path, IReadOnlyDictionary<MatrixCaller, Outcome> Expect, string? Body = null)
{
    public override string ToString() => $"{Method} {Route}";
}

/// <summary>Expected outcomes for each policy in <see cref="Policies"/>.</summary>
public static class Access
{
    public static IReadOnlyDictionary<MatrixCaller, Outcome> Anonymous { get; } = Row(Outcome.Allowed, Outcome.Allowed, Outcome.Allowed, Outcome.Allowed, Outcome.Allowed, Outcome.Allowed);

    /// <summary>Any valid key (the fallback policy: no <c>RequireAuthorization</c> at all).</summary>
    public static IReadOnlyDictionary<MatrixCaller, Outcome> AnyKey { get; } = Row(Outcome.Allowed, Outcome.Allowed, Outcome.Allowed, Outcome.Allowed, Outcome.Allowed, Outcome.Unauthenticated);

    public static IReadOnlyDictionary<MatrixCaller, Outcome> Admin { get; } = Row(Outcome.Allowed, Outcome.Forbidden, Outcome.Forbidden, Outcome.Forbidden, Outcome.Forbidden, Outcome.Unauthenticated);

    public static IReadOnlyDictionary<MatrixCaller, Outcome> Finance { get; } = Row(Outcome.Allowed, Outcome.Allowed, Outcome.Forbidden, Outcome.Forbidden, Outcome.Forbidden, Outcome.Unauthenticated);

    public static IReadOnlyDictionary<MatrixCaller, Outcome> Ingest { get; } = Row(Outcome.Allowed, Outcome.Forbidden, Outcome.Allowed, Outcome.Forbidden, Outcome.Forbidden, Outcome.Unauthenticated);

    /// <summary><see cref="Policies.TenantData"/> on a route or query naming tenant <c>acme</c>.</summary>
    public static IReadOnlyDictionary<MatrixCaller, Outcome> TenantData { get; } = Row(Outcome.Allowed, Outcome.Allowed, Outcome.Forbidden, Outcome.Allowed, Outcome.Hidden, Outcome.Unauthenticated);

    private static Dictionary<MatrixCaller, Outcome> Row(Outcome admin, Outcome finance, Outcome ingest, Outcome tenantOwn, Outcome tenantOther, Outcome noKey) => new()
    {
        [MatrixCaller.Admin] = admin,
        [MatrixCaller.Finance] = finance,
        [MatrixCaller.Ingest] = ingest,
        [MatrixCaller.TenantOwn] = tenantOwn,
        [MatrixCaller.TenantOther] = tenantOther,
        [MatrixCaller.NoKey] = noKey,
    };
}

/// <summary>THE authorization matrix: one row per mapped endpoint. Adding an endpoint means
/// adding its row here; <c>every_mapped_endpoint_has_a_row_in_the_matrix</c> fails until then.</summary>
public static class AuthorizationMatrix
{
    public static IReadOnlyList<EndpointRow> Rows { get; } =
    [
        new("GET", "/health", "/health", Access.Anonymous),
        new("GET", "/health/ready", "/health/ready", Access.Anonymous),
        new("GET", "/metrics", "/metrics", Access.Anonymous),
        new("GET", "/v1/whoami", "/v1/whoami", Access.AnyKey),
        new("GET", "/v1/keys/", "/v1/keys/", Access.Admin),
        new("POST", "/v1/keys/", "/v1/keys/", Access.Admin, """{"role":"ingest","description":"matrix"}"""),
        new("DELETE", "/v1/keys/{prefix}", "/v1/keys/bk_live_nosuchkey", Access.Admin),

        // Stripe posts webhooks without a key: the signature is the authentication (a 400 here).
        new("POST", "/v1/billing/webhook", "/v1/billing/webhook", Access.Anonymous, "{}"),

        new("POST", "/v1/tenants/", "/v1/tenants", Access.Admin, "{}"),
        new("GET", "/v1/tenants/", "/v1/tenants", Access.Finance),
        new("GET", "/v1/tenants/{tenantId}", "/v1/tenants/acme", Access.TenantData),
        new("PUT", "/v1/tenants/{tenantId}", "/v1/tenants/acme", Access.Admin, "{}"),
        new("POST", "/v1/tenants/{tenantId}/adjustments", "/v1/tenants/acme/adjustments", Access.Admin, "{}"),

        new("POST", "/v1/usage", "/v1/usage", Access.Ingest, """{"events":[]}"""),

        new("GET", "/v1/invoices/", "/v1/invoices?tenant=acme", Access.TenantData),
        // By id: the tenant is only known after the lookup; another tenant's key gets 404.
        new("GET", "/v1/invoices/{invoiceId}", "/v1/invoices/in_nosuchinvoice", Access.TenantData),
        new("GET", "/v1/invoices/{invoiceId}/pdf", "/v1/invoices/in_nosuchinvoice/pdf", Access.TenantData),
        new("POST", "/v1/invoices/{invoiceId}/credit-notes", "/v1/invoices/in_nosuchinvoice/credit-notes", Access.Admin, "{}"),
        new("POST", "/v1/invoices/{invoiceId}/void", "/v1/invoices/in_nosuchinvoice/void", Access.Admin, "{}"),
        new("POST", "/v1/invoices/{invoiceId}/refunds", "/v1/invoices/in_nosuchinvoice/refunds", Access.Admin, "{}"),

        new("GET", "/v1/internal/projections/", "/v1/internal/projections/", Access.Admin),
        new("GET", "/v1/internal/projections/dead-letters", "/v1/internal/projections/dead-letters", Access.Admin),
        new("POST", "/v1/internal/projections/dead-letters/{id:long}/retry", "/v1/internal/projections/dead-letters/999999/retry", Access.Admin),
        new("GET", "/v1/internal/projections/{name}", "/v1/internal/projections/no_such_projection", Access.Admin),
        new("POST", "/v1/internal/projections/{name}/rebuild", "/v1/internal/projections/no_such_projection/rebuild", Access.Admin),
        new("GET", "/v1/internal/projections/{name}/as-of", "/v1/internal/projections/no_such_projection/as-of?position=1", Access.Admin),
    ];
}
