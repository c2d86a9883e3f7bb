using Billing.Host.Observability;
using Microsoft.AspNetCore.Diagnostics;

namespace Billing.Host.Http;

/// <summary>Every error is RFC 7807 problem details carrying the correlation id, never a stack
/// trace or an exception message (those may hold secrets or internals; they go to the masked log).</summary>
public static class ProblemResponses
{
    public static void AddBillingProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions.Remove("exception");
            if (CorrelationIdMiddleware.Of(context.HttpContext) is { } id)
            {
                context.ProblemDetails.Extensions["correlationId"] = id;
            }

            if (context.Exception is not null && context.ProblemDetails.Status is null or >= 500)
            {
                context.ProblemDetails.Title = "Internal Server Error";
                context.ProblemDetails.Detail = "The request failed; quote the correlation id when reporting it.";
            }
        });
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
    }

    public static IApplicationBuilder UseBillingExceptionHandler(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Kestrel's own rejections (body too large, malformed request) keep their status.
            StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
}
