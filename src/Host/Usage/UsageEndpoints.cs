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
        var (document, problem) = await ApiProblems.ReadJsonAsync(http.Request, ct);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            if (document!.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("events", out var events)
                || events.ValueKind != JsonValueKind.Array)
            {
                return ApiProblems.BadRequest("invalid_request", "The body must be an object with an 'events' array.");
            }

            var count = events.GetArrayLength();
            if (count == 0 || count > ingestion.Options.MaxBatchSize)
            {
                return ApiProblems.BadRequest("invalid_batch_size", $"A batch holds 1 to {ingestion.Options.MaxBatchSize} events; this one has {count}.");
            }

            var inputs = new UsageInput[count];
            var i = 0;
            foreach (var e in events.EnumerateArray())
            {
                inputs[i++] = UsageRequestParser.Parse(e);
            }

            return new UsageBatchResponse(await ingestion.IngestAsync(inputs, RequestMetadata.For(http), ct));
        }
    }
}
