using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Http.Timeouts;

namespace Billing.Host.Http;

/// <summary>Request body cap and request timeout. <c>Billing:Http:MaxRequestBodyBytes</c>
/// (default 1 MiB) and <c>Billing:Http:RequestTimeoutSeconds</c> (default 30). An endpoint that
/// needs a larger body says so with <c>.WithMetadata(new RequestSizeLimitAttribute(n))</c>, a
/// longer time with <c>.WithRequestTimeout(...)</c>.</summary>
public static class HttpLimits
{
    public const long DefaultMaxRequestBodyBytes = 1024 * 1024;
    public const int DefaultTimeoutSeconds = 30;

    public static long MaxRequestBodyBytes(IConfiguration configuration) =>
        configuration.GetValue("Billing:Http:MaxRequestBodyBytes", DefaultMaxRequestBodyBytes);

    public static void AddHttpLimits(this WebApplicationBuilder builder)
    {
        var max = MaxRequestBodyBytes(builder.Configuration);
        var timeout = TimeSpan.FromSeconds(builder.Configuration.GetValue("Billing:Http:RequestTimeoutSeconds", DefaultTimeoutSeconds));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = max);
        builder.Services.AddRequestTimeouts(o => o.DefaultPolicy = new RequestTimeoutPolicy
        {
            Timeout = timeout,
            TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
        });
    }

    /// <summary>Rejects a declared body over the endpoint's limit before anything reads it, and
    /// caps undeclared (chunked) bodies on servers that enforce the feature (Kestrel).</summary>
    public static IApplicationBuilder UseRequestBodyLimit(this IApplicationBuilder app, long defaultMax) =>
        app.Use(async (http, next) =>
        {
            var max = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? defaultMax;
            if (http.Request.ContentLength > max)
            {
                await Results.Problem(
                    statusCode: StatusCodes.Status413PayloadTooLarge,
                    title: "Payload Too Large",
                    detail: $"The request body may be at most {max} bytes.").ExecuteAsync(http);
                return;
            }

            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = max;
            }

            await next(http);
        });
}
