using System.Text.Json;
using Billing.Host.Auth;
using Billing.Host.Invoices;
using Billing.Host.Observability;
using Billing.Host.Tenants;
using Billing.Ledger.Usage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Host.Usage;

/// <summary><c>POST /v1/usage</c>: a batch of up to 1,000 events, answered per event after the
/// accepted ones are durably committed. A body that is not JSON, not the documented shape or
/// too large is a 400 and appends nothing.</summary>
public static class UsageEndpoints
{
    public static void MapUsageEndpoints(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/usage", IngestAsync).RequireAuthorization(Policies.Ingest);

    private static async Task<Results<UsageBatchResponse, ProblemHttpResult>> IngestAsync(HttpContext http, UsageIngestion ingestion, CancellationToken ct)
    {
        // Buffer the whole body (Kestrel's body size limit applies), then parse it in one pass.
        var body = http.Request.BodyReader;
        var read = await body.ReadAsync(ct);
        while (!read.IsCompleted)
        {
            body.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            read = await body.ReadAsync(ct);
        }

        UsageRequestParser.Outcome outcome;
        try
        {
            outcome = UsageRequestParser.Parse(read.Buffer, ingestion.Options.MaxBatchSize);
        }
        catch (JsonException ex)
        {
            return ApiProblems.BadRequest("malformed_json", $"The body is not valid JSON: {ex.Message}");
        }
        finally
        {
            body.AdvanceTo(read.Buffer.End);
        }

        if (outcome.Events is null)
        {
            return ApiProblems.BadRequest(outcome.Code!, outcome.Detail!);
        }

        return new UsageBatchResponse(await ingestion.IngestAsync(outcome.Events, RequestMetadata.For(http), ct));
    }
}
