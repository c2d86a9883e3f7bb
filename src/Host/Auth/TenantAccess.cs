using System.Security.Claims;

namespace Billing.Host.Auth;

/// <summary>Whether a caller may see one tenant's data. Endpoints that look a resource up by id
/// (an invoice, a PDF) call <see cref="CanSee"/> with the resource's tenant and answer 404 when it
/// is false — a tenant key must not learn that another tenant's resource exists.</summary>
public static class TenantAccess
{
    public const string RouteValue = "tenantId";
    public const string QueryParameter = "tenant";

    public static bool CanSee(ClaimsPrincipal user, string tenantId)
    {
        if (user.IsInRole(Roles.Admin) || user.IsInRole(Roles.Finance))
        {
            return true;
        }

        return user.IsInRole(Roles.Tenant) && BillingClaims.BoundTenant(user) is { } own && string.Equals(own, tenantId, StringComparison.Ordinal);
    }

    /// <summary>The tenant a caller is confined to: null for admin and finance keys; a tenant key's
    /// bound tenant (empty when unbound, which matches no tenant). List endpoints filter by it.</summary>
    public static string? ScopeOf(ClaimsPrincipal user) =>
        user.IsInRole(Roles.Admin) || user.IsInRole(Roles.Finance) ? null : BillingClaims.BoundTenant(user) ?? "";

    /// <summary>The tenant a request is about: route value <c>tenantId</c>, else query <c>tenant</c>.</summary>
    public static string? RequestedTenant(HttpContext context) =>
        context.GetRouteValue(RouteValue) as string is { Length: > 0 } fromRoute ? fromRoute
        : context.Request.Query[QueryParameter].ToString() is { Length: > 0 } fromQuery ? fromQuery
        : null;
}
