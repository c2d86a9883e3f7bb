using System.Text.Json;

namespace Billing.Host.StripeEmulator;

public sealed partial class StripeEmulator
{
    /// <summary>Order matters and mirrors where real failures happen: a front-end fault (error,
    /// 429, dropped connection) before anything executes; then authentication; then the
    /// idempotency layer; latency while the key is in flight; then the API itself.</summary>
    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var ct = context.RequestAborted;
        if (context.Request.Path.StartsWithSegments("/_emulator"))
        {
            await HandleControlAsync(context, ct);
            return;
        }

        var fault = Faults.Take();
        if (fault is { Kind: FaultKind.Drop })
        {
            context.Abort();
            return;
        }

        if (fault is { Kind: FaultKind.Error or FaultKind.RateLimit })
        {
            if (fault.ShouldRetry is { } shouldRetry)
            {
                context.Response.Headers["Stripe-Should-Retry"] = shouldRetry ? "true" : "false";
            }

            await WriteAsync(context, fault.Kind == FaultKind.RateLimit
                ? EmulatorResponse.Error(429, "rate_limit_error", "Too many requests hit the API too quickly.", "rate_limit")
                : EmulatorResponse.Error(fault.StatusCode, "api_error", "An injected fault: the emulator did not process this request."), ct);
            return;
        }

        if (!Authorized(context.Request.Headers.Authorization.ToString()))
        {
            await WriteAsync(context, EmulatorResponse.Error(401, "invalid_request_error", "Invalid API Key provided. The emulator accepts sk_test_ keys only."), ct);
            return;
        }

        var form = context.Request.HasFormContentType
            ? EmulatorForm.From(await context.Request.ReadFormAsync(ct))
            : EmulatorForm.From(context.Request.Query);
        var key = context.Request.Method == "POST" && context.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } k ? k : null;
        var call = new EmulatorApi.Call(context.Request.Method, context.Request.Path.Value ?? "/", form, EmulatorIds.New("req"), key);
        EmulatorResponse response;
        try
        {
            response = await ExecuteAsync(call, fault, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // An emulator defect surfaces to the test as a Stripe-shaped 500 naming the cause.
            response = EmulatorResponse.Error(500, "api_error", $"Emulator failure: {ex.GetType().Name}: {ex.Message}");
        }

        await WriteAsync(context, response, ct);
    }

    private async Task<EmulatorResponse> ExecuteAsync(EmulatorApi.Call call, Fault? fault, CancellationToken ct)
    {
        var idempotencyKey = call.IdempotencyKey;
        if (idempotencyKey is not null)
        {
            switch (_idempotency.Begin(idempotencyKey, call.Path + "?" + call.Form.Fingerprint()))
            {
                case EmulatorIdempotency.Decision.Replay replay:
                    return replay.Response with { Replayed = true };
                case EmulatorIdempotency.Decision.Reject reject:
                    return reject.Response;
            }
        }

        try
        {
            if (fault is { Kind: FaultKind.Latency })
            {
                await Task.Delay(fault.Latency, ct);
            }

            var response = _api.Handle(call);
            if (idempotencyKey is not null)
            {
                _idempotency.Complete(idempotencyKey, response);
            }

            return response;
        }
        catch (Exception)
        {
            // Cancelled before executing, or an emulator bug (answered 500 by Kestrel): either
            // way nothing is stored, so the key must not stay "in flight" forever.
            if (idempotencyKey is not null)
            {
                _idempotency.Abandon(idempotencyKey);
            }

            throw;
        }
    }

    /// <summary>Bearer, or Basic with the key as user name (as <c>curl -u sk_test_...:</c> sends
    /// it; Stripe accepts both). Test keys only.</summary>
    private static bool Authorized(string header)
    {
        var key = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..]
            : header.StartsWith("Basic ", StringComparison.Ordinal) ? BasicUser(header[6..])
            : "";
        return key.StartsWith("sk_test_", StringComparison.Ordinal) || key.StartsWith("rk_test_", StringComparison.Ordinal);
    }

    private static string BasicUser(string encoded)
    {
        Span<byte> buffer = stackalloc byte[encoded.Length];
        return Convert.TryFromBase64String(encoded, buffer, out var written)
            ? System.Text.Encoding.UTF8.GetString(buffer[..written]).Split(':')[0]
            : "";
    }

    private static async Task WriteAsync(HttpContext context, EmulatorResponse response, CancellationToken ct)
    {
        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = "application/json";
        context.Response.Headers["Request-Id"] = EmulatorIds.New("req");
        var version = context.Request.Headers["Stripe-Version"].ToString();
        context.Response.Headers["Stripe-Version"] = version.Length > 0 ? version : Billing.Ledger.Stripe.StripeOptions.DefaultApiVersion;
        if (response.Replayed)
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
        }

        await context.Response.WriteAsync(response.Body.ToJsonString(JsonOptions), ct);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };
}
