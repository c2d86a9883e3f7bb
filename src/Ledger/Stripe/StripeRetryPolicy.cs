using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Billing.Ledger.Stripe;

/// <summary>Stripe's retry rules, as both official SDKs apply them: retry connection errors and
/// timeouts; obey <c>Stripe-Should-Retry</c> when present; otherwise retry 409 (idempotency key
/// in use, lock timeout) and 5xx. The runbooks add 429 with backoff. Other 4xx (including a card
/// decline) are final. Backoff is exponential with jitter, capped.</summary>
public static partial class StripeRetryPolicy
{
    public static ResiliencePipeline<HttpResponseMessage> Build(StripeRetryOptions options, ILogger logger, TimeProvider time) =>
        new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = options.UseJitter,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context.CancellationToken)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, options.MaxDelay)),
                OnRetry = args =>
                {
                    LogRetry(logger, args.AttemptNumber + 1, (int?)args.Outcome.Result?.StatusCode, args.Outcome.Exception?.GetType().Name, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();

    public static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, CancellationToken callerToken) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Exception: OperationCanceledException } => !callerToken.IsCancellationRequested,
        { Result: { } response } => ShouldRetry(response),
        _ => false,
    };

    public static bool ShouldRetry(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("Stripe-Should-Retry", out var values))
        {
            return string.Equals(values.FirstOrDefault(), "true", StringComparison.OrdinalIgnoreCase);
        }

        var status = (int)response.StatusCode;
        return response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests || status >= 500;
    }

    /// <summary>Honours a 429's Retry-After when it is within the cap; otherwise the backoff.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan max) =>
        response?.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter?.Delta is { } delta && delta <= max
            ? delta
            : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe request retry {Attempt} after status={Status} error={Error}, waiting {Delay}")]
    private static partial void LogRetry(ILogger logger, int attempt, int? status, string? error, TimeSpan delay);
}
