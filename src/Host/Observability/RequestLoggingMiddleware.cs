using System.Diagnostics;

namespace Billing.Host.Observability;

/// <summary>One log line per request: method, route template (not the raw path, so ids and
/// query strings — which may carry secrets — stay out), status and duration. The correlation id
/// rides along from the log context.</summary>
public sealed partial class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger)
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
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LogRequest(logger, http.Request.Method, RouteOf(http), status, elapsed);
        }
    }

    /// <summary>The matched route template, or <c>unmatched</c>: bounded cardinality for metrics and logs.</summary>
    public static string RouteOf(HttpContext http) =>
        (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } raw ? "/" + raw.TrimStart('/') : "unmatched";

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Route} responded {StatusCode} in {ElapsedMs:0.0} ms")]
    private static partial void LogRequest(ILogger logger, string method, string route, int statusCode, double elapsedMs);
}
