using Billing.Ledger.Postgres;
using Npgsql;

namespace Billing.Host.Health;

public static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => TypedResults.Ok(new { status = "ok" })).AllowAnonymous();
        app.MapGet("/health/ready", ReadyAsync).AllowAnonymous();
    }

    private static async Task<IResult> ReadyAsync(NpgsqlDataSource dataSource, Migrator migrator, CancellationToken ct)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(ct);
            var pending = await migrator.PendingAsync(ct);
            var status = pending.Count == 0 ? "ok" : "degraded";
            var body = new { status, database = new { status = "ok" }, schema = new { status = pending.Count == 0 ? "current" : "pending", pending = pending.Select(m => m.Version) } };
            return pending.Count == 0 ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return TypedResults.Json(new { status = "unavailable", database = new { status = "unreachable", error = ex.GetType().Name } }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
