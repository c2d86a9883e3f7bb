using Microsoft.AspNetCore.Authorization;

namespace Billing.Host.Auth;

/// <summary>The <see cref="Policies.TenantData"/> rule: admin and finance see every tenant; a tenant
/// key sees the tenant in the route/query only when it is its own. A tenant key on an endpoint
/// without a tenant in the route (lookup by id) passes here and the endpoint must check the
/// resource's tenant with <see cref="TenantAccess.CanSee"/>.</summary>
public sealed class TenantDataRequirement : IAuthorizationRequirement;

public sealed class TenantDataHandler(IHttpContextAccessor accessor) : AuthorizationHandler<TenantDataRequirement>
{
    /// <summary>The failure reason that turns a denial into 404 instead of 403.</summary>
    public const string OtherTenant = "tenant key for another tenant";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, TenantDataRequirement requirement)
    {
        var user = context.User;
        if (user.IsInRole(Roles.Admin) || user.IsInRole(Roles.Finance))
        {
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        if (!user.IsInRole(Roles.Tenant))
        {
            return Task.CompletedTask;
        }

        var http = context.Resource as HttpContext ?? accessor.HttpContext;
        var requested = http is null ? null : TenantAccess.RequestedTenant(http);
        if (requested is null || TenantAccess.CanSee(user, requested))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, OtherTenant));
        }

        return Task.CompletedTask;
    }
}
