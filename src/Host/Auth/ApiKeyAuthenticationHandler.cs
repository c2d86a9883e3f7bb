using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Billing.Host.Auth;

/// <summary>Authenticates <c>Authorization: Bearer &lt;key&gt;</c> against <see cref="ApiKeyStore"/>.
/// No header: no result (the endpoint's policy decides; anonymous endpoints stay reachable).
/// A header with an unknown or revoked key: failure, so the request gets 401.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("Authorization header is not a bearer token.");
        }

        var key = header["Bearer ".Length..].Trim();
        var info = key.Length == 0 ? null : await keys.AuthenticateAsync(key, Context.RequestAborted);
        if (info is null)
        {
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(BillingClaims.For(info), SchemeName, BillingClaims.KeyPrefix, ClaimTypes.Role));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(statusCode: 401, title: "Unauthorized", detail: "A valid API key is required: Authorization: Bearer <key>.").ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Results.Problem(statusCode: 403, title: "Forbidden", detail: "This API key's role may not use this endpoint.").ExecuteAsync(Context);
    }
}

/// <summary>Claim types carried by an authenticated API key.</summary>
public static class BillingClaims
{
    public const string KeyPrefix = "billing:key_prefix";
    public const string Tenant = "billing:tenant";

    public static IEnumerable<Claim> For(ApiKeyInfo key)
    {
        yield return new Claim(KeyPrefix, key.Prefix);
        yield return new Claim(ClaimTypes.Role, key.Role);
        if (key.TenantId is not null)
        {
            yield return new Claim(Tenant, key.TenantId);
        }
    }

    /// <summary>The actor for event metadata: <c>key:&lt;prefix&gt;</c>, or null when anonymous.</summary>
    public static string? Actor(ClaimsPrincipal user) => user.FindFirst(KeyPrefix)?.Value is { } prefix ? "key:" + prefix : null;

    /// <summary>The tenant a tenant key is bound to; null for every other role.</summary>
    public static string? BoundTenant(ClaimsPrincipal user) => user.FindFirst(Tenant)?.Value;
}
