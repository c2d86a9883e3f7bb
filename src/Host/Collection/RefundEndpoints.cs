using System.Text.Json;
using Billing.Host.Auth;
using Billing.Host.Invoices;
using Billing.Ledger.Collection;
using Billing.Ledger.Stripe;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Host.Collection;

/// <summary><c>POST /v1/invoices/{id}/refunds</c> (admin): full or partial refund of a paid
/// invoice through Stripe. Body: <c>amount_minor</c> (optional, default what is left) and
/// <c>reason</c> (duplicate | fraudulent | requested_by_customer). An <c>Idempotency-Key</c>
/// header makes retries refund once and answer the same refund.</summary>
public static class RefundEndpoints
{
    public static void MapRefundEndpoints(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/invoices/{invoiceId}/refunds", RefundAsync).RequireAuthorization(Policies.Admin);

    private static async Task<Results<Created<RefundResult>, Ok<RefundResult>, ProblemHttpResult>> RefundAsync(
        string invoiceId, HttpContext http, InvoiceRefunds refunds, CancellationToken ct)
    {
        var (document, problem) = await ApiProblems.ReadJsonAsync(http.Request, ct);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            if (Parse(document!.RootElement) is not { } body)
            {
                return ApiProblems.BadRequest("invalid_refund",
                    "The body is {\"amount_minor\": positive whole number (optional: default is what is left), \"reason\": duplicate | fraudulent | requested_by_customer}.");
            }

            var key = http.Request.Headers["Idempotency-Key"].ToString();
            if (key.Length > 200)
            {
                return ApiProblems.BadRequest("invalid_idempotency_key", "Idempotency-Key is at most 200 characters.");
            }

            try
            {
                var request = new RefundRequest(invoiceId, body.Amount, body.Reason, InvoiceRefunds.RefundIdFor(invoiceId, key), (BillingClaims.Actor(http.User) ?? "key:unknown"));
                var result = await refunds.RefundAsync(request, ct);
                return result.Replayed ? TypedResults.Ok(result) : TypedResults.Created($"/v1/invoices/{invoiceId}/refunds/{result.RefundId}", result);
            }
            catch (RefundRejected ex)
            {
                return ApiProblems.Of(ex.Status, ex.Code, ex.Message);
            }
        }
    }

    private static (long? Amount, RefundReason Reason)? Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("reason", out var r) || r.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        RefundReason? reason = r.GetString() switch
        {
            "duplicate" => RefundReason.Duplicate,
            "fraudulent" => RefundReason.Fraudulent,
            "requested_by_customer" => RefundReason.RequestedByCustomer,
            _ => null,
        };
        long? amount = null;
        if (root.TryGetProperty("amount_minor", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            if (a.ValueKind != JsonValueKind.Number || !a.TryGetInt64(out var value) || value < 1)
            {
                return null;
            }

            amount = value;
        }

        return reason is null ? null : (amount, reason.Value);
    }
}
