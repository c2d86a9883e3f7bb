using System.Text.Json;
using Billing.Host.Auth;
using Billing.Ledger.Invoicing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Host.Invoices;

/// <summary>Manual corrections: an adjustment (charge or credit) for the tenant's next invoice,
/// a credit note against a finalized invoice, and voiding. Each records the caller as actor and
/// requires a reason.</summary>
public static class AdjustmentEndpoints
{
    public static void MapAdjustmentEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/tenants/{tenantId}/adjustments", AdjustAsync).RequireAuthorization(Policies.Admin);
        app.MapPost("/v1/invoices/{invoiceId}/credit-notes", CreditNoteAsync).RequireAuthorization(Policies.Admin);
        app.MapPost("/v1/invoices/{invoiceId}/void", VoidAsync).RequireAuthorization(Policies.Admin);
    }

    private static async Task<Results<Created<AdjustmentRecorded>, ProblemHttpResult>> AdjustAsync(string tenantId, HttpContext http, InvoiceActions actions, CancellationToken ct)
    {
        var (body, problem) = await ReadAsync(http, ct);
        if (problem is not null)
        {
            return problem;
        }

        try
        {
            var adjustment = await actions.RecordAdjustmentAsync(tenantId, body!.Kind ?? "", body.AmountMinor ?? 0, body.Reason ?? "", (BillingClaims.Actor(http.User) ?? "key:unknown"), ct);
            return TypedResults.Created($"/v1/tenants/{tenantId}/adjustments/{adjustment.AdjustmentId}", adjustment);
        }
        catch (InvoiceRejected ex)
        {
            return Problem(ex);
        }
    }

    private static async Task<Results<Ok<InvoiceState>, ProblemHttpResult>> CreditNoteAsync(string invoiceId, HttpContext http, InvoiceActions actions, CancellationToken ct)
    {
        var (body, problem) = await ReadAsync(http, ct);
        var actor = (BillingClaims.Actor(http.User) ?? "key:unknown");
        return problem ?? await DecideAsync(actions, invoiceId, now => new IssueCreditNote("cn_" + Guid.CreateVersion7().ToString("N")[..20], body!.AmountMinor ?? 0, now, actor, body.Reason ?? ""), actor, ct);
    }

    private static async Task<Results<Ok<InvoiceState>, ProblemHttpResult>> VoidAsync(string invoiceId, HttpContext http, InvoiceActions actions, CancellationToken ct)
    {
        var (body, problem) = await ReadAsync(http, ct);
        var actor = (BillingClaims.Actor(http.User) ?? "key:unknown");
        return problem ?? await DecideAsync(actions, invoiceId, now => new VoidInvoice(now, actor, body!.Reason ?? ""), actor, ct);
    }

    private static async Task<Results<Ok<InvoiceState>, ProblemHttpResult>> DecideAsync(InvoiceActions actions, string invoiceId, Func<DateTimeOffset, InvoiceCommand> command, string actor, CancellationToken ct)
    {
        try
        {
            return TypedResults.Ok(await actions.DecideAsync(invoiceId, command, actor, ct));
        }
        catch (InvoiceRejected ex)
        {
            return Problem(ex);
        }
        catch (Billing.Ledger.EventStore.WrongExpectedVersionException)
        {
            return ApiProblems.Conflict("version_conflict", "The invoice changed concurrently; retry.");
        }
    }

    private static async Task<(CorrectionRequest? Body, ProblemHttpResult? Problem)> ReadAsync(HttpContext http, CancellationToken ct)
    {
        try
        {
            var body = await JsonSerializer.DeserializeAsync<CorrectionRequest>(http.Request.Body, JsonSerializerOptions.Web, ct);
            return body is null ? (null, ApiProblems.BadRequest("invalid_request", "A JSON object is required.")) : (body, null);
        }
        catch (JsonException ex)
        {
            return (null, ApiProblems.BadRequest("malformed_json", $"The body is not valid JSON of the documented shape: {ex.Message}"));
        }
    }

    private static ProblemHttpResult Problem(InvoiceRejected ex) => ex.Code switch
    {
        "invoice_not_found" or "tenant_not_found" => ApiProblems.NotFound(ex.Code == "tenant_not_found" ? "Tenant" : "Invoice"),
        "invalid_transition" or "invoice_final" => ApiProblems.Conflict(ex.Code, ex.Message),
        _ => ApiProblems.BadRequest(ex.Code, ex.Message),
    };
}

public sealed record CorrectionRequest(string? Kind, long? AmountMinor, string? Reason);
