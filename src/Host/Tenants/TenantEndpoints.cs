using System.Text.Json;
using Billing.Host.Auth;
using Billing.Host.Invoices;
using Billing.Host.Observability;
using Billing.Ledger.EventStore;
using Billing.Ledger.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Billing.Host.Tenants;

/// <summary>POST/PUT/GET <c>/v1/tenants</c>. The ETag is the tenant stream's version; If-Match
/// on PUT becomes the expected version, so a stale update is a 409, never a lost write.</summary>
public static class TenantEndpoints
{
    public static void MapTenantEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/tenants");
        group.MapPost("", CreateAsync).RequireAuthorization(Policies.Admin);
        group.MapPut("/{tenantId}", UpdateAsync).RequireAuthorization(Policies.Admin);
        group.MapGet("/{tenantId}", GetAsync).RequireAuthorization(Policies.TenantData);
        group.MapGet("", ListAsync).RequireAuthorization(Policies.Finance);
    }

    private static async Task<Results<Created<TenantResponse>, ProblemHttpResult>> CreateAsync(HttpContext http, TenantDirectory tenants, CancellationToken ct)
    {
        var (body, problem) = await TenantRequests.ReadAsync(http.Request, requireId: true, ct);
        if (problem is not null)
        {
            return problem;
        }

        try
        {
            var snapshot = await tenants.CreateAsync(body!.TenantId!, body.Profile, RequestMetadata.For(http), ct);
            http.Response.Headers.ETag = ETagOf(snapshot.Version);
            return TypedResults.Created($"/v1/tenants/{snapshot.State.TenantId}", TenantResponse.From(snapshot));
        }
        catch (TenantRejected ex)
        {
            return Problem(ex);
        }
    }

    private static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> UpdateAsync(string tenantId, HttpContext http, TenantDirectory tenants, CancellationToken ct)
    {
        var (body, problem) = await TenantRequests.ReadAsync(http.Request, requireId: false, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (!TryParseIfMatch(http.Request, out var expected))
        {
            return ApiProblems.BadRequest("invalid_if_match", "If-Match must be an ETag returned by this API, e.g. \"3\".");
        }

        try
        {
            var snapshot = await tenants.UpdateAsync(tenantId, body!.Profile, expected, RequestMetadata.For(http), ct);
            http.Response.Headers.ETag = ETagOf(snapshot.Version);
            return TypedResults.Ok(TenantResponse.From(snapshot));
        }
        catch (TenantRejected ex)
        {
            return Problem(ex);
        }
        catch (WrongExpectedVersionException ex)
        {
            return ApiProblems.Conflict("version_conflict", $"The tenant is at version {ex.ActualVersion}, not {ex.Expected}; reload it and retry.");
        }
    }

    private static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> GetAsync(string tenantId, HttpContext http, TenantDirectory tenants, CancellationToken ct)
    {
        if (!TenantAccess.CanSee(http.User, tenantId) || await tenants.LoadAsync(tenantId, ct) is not { } snapshot)
        {
            return ApiProblems.NotFound($"Tenant '{tenantId}'");
        }

        http.Response.Headers.ETag = ETagOf(snapshot.Version);
        return TypedResults.Ok(TenantResponse.From(snapshot));
    }

    private static async Task<Ok<List<TenantSummary>>> ListAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        const string sql = "SELECT tenant_id, name, plan_id, currency, time_zone, version FROM rm.tenants ORDER BY tenant_id";
        await using var command = db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<TenantSummary>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(new TenantSummary(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5)));
        }

        return TypedResults.Ok(list);
    }

    internal static string ETagOf(long version) => $"\"{version}\"";

    private static bool TryParseIfMatch(HttpRequest request, out long? expected)
    {
        expected = null;
        var header = request.Headers.IfMatch.ToString();
        if (header.Length == 0 || header == "*")
        {
            return true;
        }

        var text = header.StartsWith("W/", StringComparison.Ordinal) ? header[2..] : header;
        if (long.TryParse(text.Trim('"'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version))
        {
            expected = version;
            return true;
        }

        return false;
    }

    private static ProblemHttpResult Problem(TenantRejected ex) => ex.Code switch
    {
        "tenant_exists" => ApiProblems.Conflict(ex.Code, ex.Message),
        "tenant_not_found" => ApiProblems.NotFound("Tenant"),
        _ => ApiProblems.BadRequest(ex.Code, ex.Message),
    };
}

public sealed record TenantSummary(string TenantId, string Name, string PlanId, string Currency, string TimeZone, long Version);
