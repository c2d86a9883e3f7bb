using Billing.Ledger.EventStore;
using Billing.Ledger.Observability;
using Billing.Ledger.Stripe.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Host.Webhooks;

/// <summary><c>POST /v1/billing/webhook</c>: authenticated by the Stripe signature, not an API
/// key. The raw body is buffered and verified byte for byte before any parsing; a rejected
/// delivery writes nothing and is counted in <c>billing_webhook_failures_total{reason}</c>.</summary>
public static partial class StripeWebhookEndpoints
{
    public const string Path = "/v1/billing/webhook";

    /// <summary>Stripe events are far smaller; anything bigger is not a Stripe delivery.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapStripeWebhookEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost(Path, ReceiveAsync).AllowAnonymous().WithName("StripeWebhook");
        return routes;
    }

    private static async Task<Results<Ok<WebhookAck>, ProblemHttpResult>> ReceiveAsync(
        HttpContext context, WebhookSignature signature, StripeWebhookInbox inbox, BillingMetrics metrics, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("Billing.Host.Webhooks.StripeWebhook");
        var body = await ReadBodyAsync(context.Request, ct);
        if (body is null)
        {
            return Reject(logger, metrics, "body_too_large", $"The body exceeds {MaxBodyBytes} bytes.", StatusCodes.Status413PayloadTooLarge);
        }

        var verification = signature.Verify(body, context.Request.Headers["Stripe-Signature"].ToString());
        if (!verification.IsValid)
        {
            LogInvalidSignature(logger, Reason(verification.Failure));
            return Reject(logger, metrics, Reason(verification.Failure), Detail(verification.Failure), StatusCodes.Status400BadRequest);
        }

        try
        {
            var metadata = new EventMetadata(CorrelationId(context), null, "stripe-webhook");
            var receipt = await inbox.AcceptAsync(body, metadata, ct);
            return TypedResults.Ok(new WebhookAck(true, receipt.StripeEventId, receipt.Duplicate));
        }
        catch (StripeWebhookPayloadException ex)
        {
            return Reject(logger, metrics, "invalid_payload", ex.Message, StatusCodes.Status400BadRequest);
        }
    }

    private static ProblemHttpResult Reject(ILogger logger, BillingMetrics metrics, string reason, string detail, int status)
    {
        metrics.WebhookFailed(reason);
        LogRejected(logger, reason);
        return TypedResults.Problem(detail, statusCode: status, title: "Stripe webhook rejected", type: "https://billing.local/problems/stripe-webhook-" + reason.Replace('_', '-'),
            extensions: new Dictionary<string, object?> { ["reason"] = reason });
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        if (request.ContentLength is { } length)
        {
            // Stripe sends Content-Length: read straight into a body-sized array (the server
            // enforces the framing, a short body fails the request).
            var body = new byte[length];
            await request.Body.ReadExactlyAsync(body, ct);
            return body;
        }

        using var buffer = new MemoryStream(4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static string CorrelationId(HttpContext context) =>
        context.Request.Headers["X-Correlation-Id"].ToString() is { Length: > 0 and <= 128 } given ? given : context.TraceIdentifier;

    private static string Reason(WebhookSignatureFailure failure) => failure switch
    {
        WebhookSignatureFailure.MissingHeader => "missing_header",
        WebhookSignatureFailure.MalformedHeader => "malformed_header",
        WebhookSignatureFailure.StaleTimestamp => "stale_timestamp",
        WebhookSignatureFailure.NoSecretConfigured => "no_secret_configured",
        _ => "signature_mismatch",
    };

    private static string Detail(WebhookSignatureFailure failure) => failure switch
    {
        WebhookSignatureFailure.MissingHeader => "The Stripe-Signature header is missing.",
        WebhookSignatureFailure.MalformedHeader => "The Stripe-Signature header has no timestamp or no v1 signature.",
        WebhookSignatureFailure.StaleTimestamp => "The signature timestamp is outside the tolerance; check the server clock.",
        WebhookSignatureFailure.NoSecretConfigured => "No webhook secret is configured (STRIPE_WEBHOOK_SECRET).",
        _ => "No v1 signature matches any configured webhook secret.",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invalid Stripe webhook signature: {Reason}")]
    private static partial void LogInvalidSignature(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe webhook rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason);
}

/// <summary>The 2xx answer Stripe gets: it only looks at the status.</summary>
public sealed record WebhookAck(bool Received, string Id, bool Duplicate);
