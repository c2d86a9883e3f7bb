using System.Security.Claims;
using Billing.Host.Observability;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Host.Auth;

/// <summary>Key management over HTTP (admin only) and <c>GET /v1/whoami</c> for any valid key.</summary>
public static class ApiKeyEndpoints
{
    public sealed record CreateKeyRequest(string Role, string? TenantId = null, string? Description = null);

    public sealed record KeyResponse(string Prefix, string Role, string? TenantId, string? Description, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
    {
        public static KeyResponse From(ApiKeyInfo info) => new(info.Prefix, info.Role, info.TenantId, info.Description, info.CreatedAt, info.RevokedAt);
    }

    /// <summary>The only response that ever carries a key: shown once, never stored.</summary>
    public sealed record CreatedKeyResponse(string Key, KeyResponse Info);

    public sealed record WhoAmIResponse(string? Role, string? TenantId, string? Actor);

    public static void MapApiKeyEndpoints(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/v1/keys").RequireAuthorization(Policies.Admin).WithTags("keys");
        keys.MapGet("/", ListAsync);
        keys.MapPost("/", CreateAsync);
        keys.MapDelete("/{prefix}", RevokeAsync);
        app.MapGet("/v1/whoami", WhoAmI).RequireAuthorization();
    }

    private static async Task<Ok<List<KeyResponse>>> ListAsync(ApiKeyStore store, bool? includeRevoked, CancellationToken ct)
    {
        var keys = await store.ListAsync(includeRevoked ?? false, ct);
        return TypedResults.Ok(keys.Select(KeyResponse.From).ToList());
    }

    private static async Task<Results<Created<CreatedKeyResponse>, ProblemHttpResult>> CreateAsync(
        CreateKeyRequest request, ApiKeyStore store, HttpContext http, CancellationToken ct)
    {
        try
        {
            var created = await store.CreateAsync(request.Role, request.TenantId, request.Description, RequestMetadata.For(http), ct);
            return TypedResults.Created($"/v1/keys/{created.Info.Prefix}", new CreatedKeyResponse(created.Key, KeyResponse.From(created.Info)));
        }
        catch (ArgumentException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid key request", detail: ex.Message);
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(string prefix, ApiKeyStore store, HttpContext http, CancellationToken ct) =>
        await store.RevokeAsync(prefix, RequestMetadata.For(http), ct)
            ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"No active key with prefix '{prefix}'.");

    private static Ok<WhoAmIResponse> WhoAmI(ClaimsPrincipal user) =>
        TypedResults.Ok(new WhoAmIResponse(user.FindFirst(ClaimTypes.Role)?.Value, BillingClaims.BoundTenant(user), BillingClaims.Actor(user)));
}
