using System.Text;
using System.Text.Json.Nodes;
using Billing.Ledger.Stripe.Webhooks;

namespace Billing.Host.Tests.Stripe;

/// <summary>Stripe-shaped events and signed deliveries of them to <c>POST /v1/billing/webhook</c>.</summary>
internal static class SignedDeliveries
{
    public static string EventJson(string id, string tenant = "acme", string type = "payment_intent.succeeded") => new JsonObject
    {
        ["id"] = id,
        ["object"] = "event",
        ["type"] = type,
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["livemode"] = false,
        ["data"] = new JsonObject { ["object"] = new JsonObject { ["id"] = "pi_" + id[4..], ["object"] = "payment_intent", ["metadata"] = new JsonObject { ["tenant_id"] = tenant } } },
    }.ToJsonString();

    public static HttpRequestMessage Delivery(string body, string? secret, long? at = null, string? header = null)
    {
        var t = at ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/billing/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        var signature = header ?? (secret is null ? null : WebhookSignature.Header(t, WebhookSignature.Sign(secret, t, Encoding.UTF8.GetBytes(body))));
        if (signature is not null)
        {
            request.Headers.Add("Stripe-Signature", signature);
        }

        return request;
    }
}
