using Billing.Host.Auth;
using Billing.Host.Http;
using Billing.Host.Metrics;
using Billing.Host.Observability;
using Serilog.Core;
using Serilog.Extensions.Logging;

namespace Billing.Host;

public static partial class BillingApp
{
    /// <summary>Logging, auth, errors, limits: the frame every endpoint runs in.</summary>
    private static void AddOperatorSurface(WebApplicationBuilder builder)
    {
        // Serilog decides levels (the Serilog section); Microsoft's filter lets everything through.
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Services.AddSingleton<ILoggerProvider>(sp => new SerilogLoggerProvider(
            BillingLogging.CreateLogger(sp.GetRequiredService<IConfiguration>(), sp.GetServices<ILogEventSink>()), dispose: true));
        builder.Services.AddBillingAuth();
        builder.Services.AddBillingProblemDetails();
        builder.AddHttpLimits();
        builder.Services.AddBillingMetrics();
    }

    /// <summary>Order matters: the correlation id first (every later line and response has it),
    /// then request logging (sees the final status), errors as problem details, routing, limits
    /// that depend on the endpoint, then authentication and authorization.</summary>
    private static void UseOperatorPipeline(WebApplication app)
    {
        app.UseMiddleware<CorrelationIdMiddleware>();
        app.UseMiddleware<RequestTelemetryMiddleware>();
        app.UseBillingExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseRequestBodyLimit(HttpLimits.MaxRequestBodyBytes(app.Configuration));
        app.UseRequestTimeouts();
        app.UseAuthentication();
        app.UseAuthorization();
    }

    private static void LogStartup(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Billing.Host");
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug("Configuration {@Configuration}", ConfigurationDump.Render(app.Configuration, ConfigurationDump.IsBillingSetting));
        }
    }
}
