using Billing.Host.Auth;
using Billing.Projections;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Host.Projections;

/// <summary>Operator endpoints for projections (admin only): status, rebuild/verify, as-of
/// export, dead letters.</summary>
public static class ProjectionEndpoints
{
    public static void MapProjectionEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/internal/projections").RequireAuthorization(Policies.Admin);
        group.MapGet("/", ListAsync);
        group.MapGet("/dead-letters", DeadLettersAsync);
        group.MapPost("/dead-letters/{id:long}/retry", RetryAsync);
        group.MapGet("/{name}", GetAsync);
        group.MapPost("/{name}/rebuild", RebuildAsync);
        group.MapGet("/{name}/as-of", AsOfAsync);
    }

    private static async Task<Ok<IReadOnlyList<ProjectionStatus>>> ListAsync(ProjectionStatusReader reader, CancellationToken ct) =>
        TypedResults.Ok(await reader.ReadAllAsync(ct));

    private static async Task<Results<Ok<ProjectionStatus>, ProblemHttpResult>> GetAsync(string name, ProjectionStatusReader reader, ProjectionCatalog catalog, CancellationToken ct) =>
        catalog.TryGet(name, out _) ? TypedResults.Ok(await reader.ReadAsync(name, ct)) : NotFound(name);

    private static async Task<Results<Ok<RebuildResult>, ProblemHttpResult>> RebuildAsync(string name, bool? verify, ProjectionRebuilder rebuilder, ProjectionCatalog catalog, CancellationToken ct)
    {
        if (!catalog.TryGet(name, out _))
        {
            return NotFound(name);
        }

        try
        {
            return TypedResults.Ok(await rebuilder.RebuildAsync(name, new RebuildOptions(VerifyOnly: verify ?? false), ct));
        }
        catch (RebuildInProgressException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status409Conflict, title: "Rebuild already running");
        }
        catch (ReplayFailedException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Rebuild failed; nothing was swapped");
        }
    }

    private static async Task<Ok<IReadOnlyList<DeadLetter>>> DeadLettersAsync(string? projection, bool? all, DeadLetterStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(projection, all ?? false, ct));

    private static async Task<Results<Ok<DeadLetterRetry>, ProblemHttpResult>> RetryAsync(long id, DeadLetterStore store, CancellationToken ct)
    {
        try
        {
            return TypedResults.Ok(await store.RetryAsync(id, ct));
        }
        catch (DeadLetterNotFoundException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status404NotFound, title: "No open dead letter");
        }
    }

    /// <summary><c>?position=n</c> and/or <c>?at=2026-03-31T23:59:59Z</c>, optional <c>tenant</c>,
    /// <c>format=json|csv</c> (CSV: one <c>table</c>, default the first).</summary>
    private static async Task<IResult> AsOfAsync(string name, long? position, DateTimeOffset? at, string? tenant, string? format, string? table, AsOfBuilder builder, ProjectionCatalog catalog, HttpContext http, CancellationToken ct)
    {
        if (!catalog.TryGet(name, out var registration))
        {
            return NotFound(name);
        }

        var csv = string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase);
        if (format is not null && !csv && !string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem("format must be json or csv", statusCode: StatusCodes.Status400BadRequest, title: "Bad format");
        }

        if (table is not null && registration.Projection.Tables.All(t => t.Name != table))
        {
            return TypedResults.Problem($"Projection '{name}' has no table '{table}'.", statusCode: StatusCodes.Status400BadRequest, title: "Unknown table");
        }

        // Build into memory first so a failure is a clean problem response, not half a body.
        using var buffer = new MemoryStream();
        await builder.ExportAsync(name, new AsOfOptions(position, at?.ToUniversalTime(), tenant), csv ? AsOfFormat.Csv : AsOfFormat.Json, buffer, table, ct);
        return TypedResults.File(buffer.ToArray(), csv ? "text/csv" : "application/json", $"{name}-as-of.{(csv ? "csv" : "json")}");
    }

    private static ProblemHttpResult NotFound(string name) =>
        TypedResults.Problem($"No projection named '{name}'.", statusCode: StatusCodes.Status404NotFound, title: "Unknown projection");
}
