using System.Text.Json;
using System.Text.Json.Serialization;
using Billing.Ledger.Observability;
using Billing.Ledger.Postgres;
using Npgsql;

namespace Billing.Host.Health;

/// <summary><c>GET /health</c> (liveness: the process answers) and <c>GET /health/ready</c>
/// (readiness, see <see cref="ReadinessReport"/>). Both anonymous: load balancers and
/// orchestrators probe them without keys, and they reveal no data or secrets.</summary>
public static class HealthEndpoints
{
    /// <summary>Lag (events) above which a projection makes readiness <c>degraded</c>.</summary>
    public const string LagThresholdSetting = "Billing:Health:ProjectionLagThreshold";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => TypedResults.Ok(new { status = HealthStatus.Ok })).AllowAnonymous();
        app.MapGet("/health/ready", ReadyAsync).AllowAnonymous();
    }

    private static async Task<IResult> ReadyAsync(
        NpgsqlDataSource dataSource, Migrator migrator, IConfiguration configuration, TimeProvider clock,
        IEnumerable<IJobQueueProbe> jobProbes, IEnumerable<IProjectionHealthProbe> projectionProbes, CancellationToken ct)
    {
        var stripe = new StripeCheck(StripeMode.Of(configuration));
        var (database, schema) = await CheckDatabaseAsync(dataSource, migrator, ct);
        if (database.Status != HealthStatus.Ok)
        {
            var down = new ReadinessReport(HealthStatus.Unavailable, database, schema,
                new JobsCheck(HealthStatus.Unknown), new ProjectionsCheck(HealthStatus.Unknown, []), stripe, clock.GetUtcNow());
            return TypedResults.Json(down, Json, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        // The last registration wins, as with GetService: a test or a Host can replace a probe.
        var jobs = await HealthChecks.JobsAsync(jobProbes.LastOrDefault(), ct);
        var projections = await HealthChecks.ProjectionsAsync(projectionProbes.LastOrDefault(), configuration.GetValue(LagThresholdSetting, 1000L), ct);
        var status = schema.Status != "current" ? HealthStatus.Unavailable
            : jobs.Status is HealthStatus.Ok or HealthStatus.NotConfigured
              && projections.Status is HealthStatus.Ok or HealthStatus.NotConfigured
              && stripe.Mode != StripeMode.Unrecognised ? HealthStatus.Ok
            : HealthStatus.Degraded;
        var report = new ReadinessReport(status, database, schema, jobs, projections, stripe, clock.GetUtcNow());
        return TypedResults.Json(report, Json, statusCode: status == HealthStatus.Unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }

    private static async Task<(DatabaseCheck, SchemaCheck)> CheckDatabaseAsync(NpgsqlDataSource dataSource, Migrator migrator, CancellationToken ct)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(ct);
            var pending = await migrator.PendingAsync(ct);
            return (new DatabaseCheck(HealthStatus.Ok), new SchemaCheck(pending.Count == 0 ? "current" : "pending", [.. pending.Select(m => m.Version)]));
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The error class only: messages can carry host names and connection details.
            return (new DatabaseCheck("unreachable", ex.GetType().Name), new SchemaCheck(HealthStatus.Unknown, []));
        }
    }
}
