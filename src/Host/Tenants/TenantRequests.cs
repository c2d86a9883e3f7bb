using System.Text.Json;
using Billing.Host.Invoices;
using Billing.Ledger.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Host.Tenants;

/// <summary>The body of POST/PUT <c>/v1/tenants</c>.</summary>
public sealed record TenantRequest(string? TenantId, TenantProfile Profile);

public sealed record TenantResponse(
    string TenantId,
    string Name,
    string PlanId,
    string Currency,
    string BillingEmail,
    string TimeZone,
    string? StripeCustomerId,
    string? DefaultPaymentMethod,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version)
{
    public static TenantResponse From(TenantSnapshot s)
    {
        var p = s.State.Profile;
        return new(s.State.TenantId, p.Name, p.PlanId, p.Currency, p.BillingEmail, p.TimeZone, p.StripeCustomerId, p.DefaultPaymentMethod, s.State.CreatedAt, s.State.UpdatedAt, s.Version);
    }
}

internal static class TenantRequests
{
    private static readonly string[] Required = ["name", "planId", "currency", "billingEmail", "timeZone"];

    /// <summary>Parses the body. Card-like numbers are refused wherever they appear in the
    /// document — known fields, unknown fields, property names or numbers — before anything else.</summary>
    public static async Task<(TenantRequest? Body, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, bool requireId, CancellationToken ct)
    {
        var (document, problem) = await ApiProblems.ReadJsonAsync(request, ct);
        if (problem is not null)
        {
            return (null, problem);
        }

        using (document)
        {
            var root = document!.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, ApiProblems.BadRequest("invalid_request", "The body must be a JSON object."));
            }

            if (ContainsCardData(root))
            {
                return (null, ApiProblems.BadRequest("card_data_refused", "The request contains something that looks like a card number; card data is never accepted or stored."));
            }

            var missing = Required.Concat(requireId ? ["tenantId"] : []).Where(f => Text(root, f) is null).ToList();
            if (missing.Count > 0)
            {
                return (null, ApiProblems.BadRequest("missing_fields", "Required string fields missing: " + string.Join(", ", missing)));
            }

            var profile = new TenantProfile(Text(root, "name")!, Text(root, "planId")!, Text(root, "currency")!, Text(root, "billingEmail")!, Text(root, "timeZone")!, Text(root, "stripeCustomerId"), Text(root, "defaultPaymentMethod"));
            return (new TenantRequest(Text(root, "tenantId"), profile), null);
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool ContainsCardData(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p => CardNumberGuard.LooksLikeCardNumber(p.Name) || ContainsCardData(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(ContainsCardData),
        JsonValueKind.String => CardNumberGuard.LooksLikeCardNumber(element.GetString()),
        JsonValueKind.Number => CardNumberGuard.LooksLikeCardNumber(element.GetRawText()),
        _ => false,
    };
}
