using System.Security.Claims;
using Billing.Host.Auth;

namespace Billing.Host.Invoices;

/// <summary>Who is calling, as the API key authentication describes it (role claims and the
/// <c>billing:tenant</c> claim of tenant keys). Resources looked up by id are answered 404 when
/// the caller may not see their tenant, so a tenant key never learns another tenant's ids.</summary>
public static class Caller
{
    public const string TenantClaim = "billing:tenant";
    public const string KeyPrefixClaim = "billing:key_prefix";

    public static bool CanSee(ClaimsPrincipal user, string tenantId) =>
        user.IsInRole(Roles.Admin) || user.IsInRole(Roles.Finance)
        || (user.IsInRole(Roles.Tenant) && string.Equals(user.FindFirst(TenantClaim)?.Value, tenantId, StringComparison.Ordinal));

    /// <summary>The tenant a tenant key is bound to; null for admin/finance keys.</summary>
    public static string? BoundTenant(ClaimsPrincipal user) =>
        user.IsInRole(Roles.Admin) || user.IsInRole(Roles.Finance) ? null : user.FindFirst(TenantClaim)?.Value ?? "";

    /// <summary>The actor recorded on events: <c>key:&lt;prefix&gt;</c>.</summary>
    public static string Actor(ClaimsPrincipal user) =>
        user.FindFirst(KeyPrefixClaim)?.Value is { Length: > 0 } prefix ? "key:" + prefix : "key:unknown";
}
