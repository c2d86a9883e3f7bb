using System.Diagnostics;
using Billing.Ledger.Observability;

namespace Billing.Host.Observability;

/// <summary>Per request: one log line and the RED metrics (<c>billing_http_requests_total</c>,
/// <c>billing_http_request_duration_seconds</c>), both keyed by the route template — not the raw
/// path, so ids and query strings (which may carry secrets) stay out and cardinality stays
/// bounded. The correlation id rides along from the log context.</summary>
public sealed partial class RequestTelemetryMiddleware(RequestDelegate next, ILogger<RequestTelemetryMiddleware> logger, BillingMetrics metrics)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp();
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            await next(http);
            status = http.Response.StatusCode;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            var route = RouteOf(http);
            metrics.HttpRequestCompleted(route, http.Request.Method, status, elapsed);
            LogRequest(logger, http.Request.Method, route, status, elapsed.TotalMilliseconds);
        }
    }

    /// <summary>The matched route template, or <c>unmatched</c>.</summary>
    public static string RouteOf(HttpContext http) =>
        (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } raw ? "/" + raw.TrimStart('/') : "unmatched";

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Route} responded {StatusCode} in {ElapsedMs:0.0} ms")]
    private static partial void LogRequest(ILogger logger, string method, string route, int statusCode, double elapsedMs);
}
