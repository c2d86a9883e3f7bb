using Billing.Ledger.Jobs;
using Billing.Ledger.Observability;
using Microsoft.Extensions.Logging;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>When to hold webhook processing back. <see cref="PerSecond"/> deliveries accepted
/// within one second start a storm (0: never hold); <see cref="MaxHold"/> bounds how long one
/// storm holds processing.</summary>
public sealed record StripeWebhookStormOptions
{
    public const int DefaultPerSecond = 500;

    public static readonly TimeSpan DefaultMaxHold = TimeSpan.FromSeconds(60);

    public int PerSecond { get; init; } = DefaultPerSecond;

    public TimeSpan MaxHold { get; init; } = DefaultMaxHold;
}

/// <summary>During a webhook storm, acknowledgements first: while this process's inbox accepts
/// at least <see cref="StripeWebhookStormOptions.PerSecond"/> deliveries a second, its job
/// workers do not claim webhook processing jobs, so the storm's deliveries get the CPU and
/// Stripe gets its 2xx fast. Every delivery is recorded durably before it is
/// acknowledged, so holding only delays processing; nothing is lost, and a restart ends the hold.
/// Bounded: a storm holds processing for at most <see cref="StripeWebhookStormOptions.MaxHold"/>,
/// after which processing runs alongside however long the storm lasts; when the rate falls
/// below the threshold for a whole second the hold ends and the workers take the backlog at
/// their next claim (within their poll interval). The lag is visible:
/// <c>billing_webhook_processing_held</c>, the queued jobs in <c>billing_jobs</c>, and a log
/// line when a hold starts and ends. See docs/stripe.md "Webhook storms".</summary>
public sealed partial class StripeWebhookStormHold : IJobHold
{
    private readonly StripeWebhookStormOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StripeWebhookStormHold> _logger;
    private readonly Lock _gate = new();
    private long _second = long.MinValue;
    private int _count;
    private long _lastStormSecond = long.MinValue;
    private DateTimeOffset _stormSince;
    private bool _announced;

    public StripeWebhookStormHold(StripeWebhookStormOptions options, TimeProvider time, ILogger<StripeWebhookStormHold> logger, BillingMetrics? metrics = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.PerSecond);
        _options = options;
        _time = time;
        _logger = logger;
        metrics?.WatchWebhookProcessingHold(() => IsHolding);
    }

    /// <summary>Whether webhook processing is held back at this moment.</summary>
    public bool IsHolding
    {
        get
        {
            var now = _time.GetUtcNow();
            lock (_gate)
            {
                var storm = _lastStormSecond >= now.ToUnixTimeSeconds() - 1;
                var holding = storm && now - _stormSince < _options.MaxHold;
                if (_announced && !holding)
                {
                    _announced = false;
                    LogReleased(_logger, storm ? "the maximum hold passed" : "the storm ended", now - _stormSince);
                }

                return holding;
            }
        }
    }

    public bool Holds(string jobType) =>
        jobType is StripeWebhookProcessor.BatchJobType or StripeWebhookProcessor.JobType && IsHolding;

    /// <summary>Counts one delivery accepted (new or duplicate) by the inbox.</summary>
    public void Accepted()
    {
        if (_options.PerSecond == 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        lock (_gate)
        {
            if (second != _second)
            {
                (_second, _count) = (second, 0);
            }

            if (++_count < _options.PerSecond)
            {
                return;
            }

            if (_lastStormSecond < second - 1)
            {
                // The previous second was calm: a new storm starts now.
                _stormSince = now;
                _announced = true;
                LogHolding(_logger, _options.PerSecond, _options.MaxHold);
            }

            _lastStormSecond = second;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe webhook storm: {PerSecond}+ deliveries a second; holding webhook processing back (acknowledgements first) for at most {MaxHold}")]
    private static partial void LogHolding(ILogger logger, int perSecond, TimeSpan maxHold);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook processing resumes: {Reason} after {Held}")]
    private static partial void LogReleased(ILogger logger, string reason, TimeSpan held);
}
