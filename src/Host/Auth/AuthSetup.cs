using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace Billing.Host.Auth;

/// <summary>Registers API key authentication and every policy in <see cref="Policies"/>.
/// The fallback policy requires an authenticated key, so an endpoint that forgets
/// <c>RequireAuthorization</c> is still closed; open endpoints say <c>AllowAnonymous</c>.</summary>
public static class AuthSetup
{
    public static IServiceCollection AddBillingAuth(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<IAuthorizationHandler, TenantDataHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, NotFoundForOtherTenant>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(Authenticated().Build())
            .AddPolicy(Policies.Admin, Authenticated().RequireRole(Roles.Admin).Build())
            .AddPolicy(Policies.Finance, Authenticated().RequireRole(Roles.Admin, Roles.Finance).Build())
            .AddPolicy(Policies.Ingest, Authenticated().RequireRole(Roles.Admin, Roles.Ingest).Build())
            .AddPolicy(Policies.TenantData, Authenticated().AddRequirements(new TenantDataRequirement()).Build());
        return services;
    }

    private static AuthorizationPolicyBuilder Authenticated() =>
        new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser();
}
