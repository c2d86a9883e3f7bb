using Billing.Ledger.EventStore;

namespace Billing.Host.Auth;

/// <summary>Audit trail of key management: who created or revoked which key, when, and in which
/// request (the event metadata's correlation id and actor). Never carries the key or its hash.</summary>
[EventType("apikey.created.v1")]
public sealed record ApiKeyCreated(string Prefix, string Role, string? TenantId, string? Description, DateTimeOffset CreatedAt);

[EventType("apikey.revoked.v1")]
public sealed record ApiKeyRevoked(string Prefix, DateTimeOffset RevokedAt);

/// <summary>Where key events live: one stream under the operator pseudo-tenant.</summary>
public static class ApiKeyStream
{
    /// <summary>Operator-level streams belong to this pseudo-tenant; no tenant key can be bound
    /// to it (tenant ids starting with an underscore are reserved).</summary>
    public const string TenantId = "_operator";
    public const string StreamId = "api-keys";
    public const string StreamType = "api-keys";
}
