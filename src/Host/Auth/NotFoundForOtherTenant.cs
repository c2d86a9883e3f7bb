using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Billing.Host.Auth;

/// <summary>Answers 404 (the same problem body as a missing resource) when a tenant key asks for
/// another tenant's data, so the answer does not reveal that the tenant exists. Every other
/// outcome goes to the default handler (401 challenge, 403 forbid, or the endpoint).</summary>
public sealed class NotFoundForOtherTenant : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var otherTenant = authorizeResult.Forbidden
            && authorizeResult.AuthorizationFailure?.FailureReasons.Any(r => r.Message == TenantDataHandler.OtherTenant) == true;
        if (otherTenant)
        {
            await Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found").ExecuteAsync(context);
            return;
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
