using System.Text.RegularExpressions;
using Billing.Ledger.Observability;
using Serilog.Context;

namespace Billing.Host.Observability;

/// <summary>One correlation id per request: the caller's <c>X-Correlation-Id</c> when it is a
/// sane token, otherwise a new one. It is echoed in the response, pushed onto every log line
/// written during the request, and made ambient (<see cref="CorrelationScope"/>) for event
/// metadata, job enqueues and Stripe calls.</summary>
public sealed partial class CorrelationIdMiddleware(RequestDelegate next)
{
    public const string Header = "X-Correlation-Id";
    private const string ItemKey = "billing.correlation_id";

    /// <summary>The request's correlation id (set by this middleware).</summary>
    public static string? Of(HttpContext http) => http.Items.TryGetValue(ItemKey, out var id) ? id as string : null;

    public async Task InvokeAsync(HttpContext http)
    {
        string? offered = http.Request.Headers[Header];
        var id = offered is not null && Acceptable().IsMatch(offered) ? offered : CorrelationScope.NewId();
        http.Items[ItemKey] = id;
        // Set when the response starts: the exception handler clears headers it finds before
        // writing its problem details, and the id matters most on exactly those responses.
        http.Response.OnStarting(() =>
        {
            http.Response.Headers[Header] = id;
            return Task.CompletedTask;
        });
        using (CorrelationScope.Begin(id))
        using (LogContext.PushProperty("CorrelationId", id))
        {
            await next(http);
        }
    }

    // Ids go into logs and headers verbatim: accept only short tokens without spaces or control
    // characters, so a caller cannot forge log lines or inject headers.
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex Acceptable();
}
