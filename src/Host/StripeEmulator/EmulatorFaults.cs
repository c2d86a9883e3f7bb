namespace Billing.Host.StripeEmulator;

public enum FaultKind
{
    /// <summary>Answer with an HTTP error status (500 by default) before Stripe's API runs:
    /// nothing is executed and nothing is stored under the idempotency key.</summary>
    Error,

    /// <summary>429 <c>rate_limit_error</c>, also before execution.</summary>
    RateLimit,

    /// <summary>Close the connection without an answer.</summary>
    Drop,

    /// <summary>Run the request normally but slowly; the idempotency key stays in flight meanwhile.</summary>
    Latency,
}

/// <summary>One injected fault. <see cref="ShouldRetry"/> adds Stripe's <c>Stripe-Should-Retry</c>
/// header to an error answer.</summary>
public sealed record Fault(FaultKind Kind, int StatusCode = 500, TimeSpan Latency = default, bool? ShouldRetry = null);

/// <summary>Fault injection: a queue of faults applied to the next requests in order, plus an
/// outage switch that fails every request until it is turned off.</summary>
public sealed class EmulatorFaults
{
    private readonly Lock _gate = new();
    private readonly Queue<Fault> _next = new();
    private Fault? _outage;
    private int _injected;

    public int Injected => Volatile.Read(ref _injected);

    public int Queued
    {
        get
        {
            lock (_gate)
            {
                return _next.Count;
            }
        }
    }

    public void FailNext(int count, int statusCode = 500, bool? shouldRetry = null) => Enqueue(count, new Fault(FaultKind.Error, statusCode, ShouldRetry: shouldRetry));

    public void RateLimitNext(int count) => Enqueue(count, new Fault(FaultKind.RateLimit, 429));

    public void DropNext(int count) => Enqueue(count, new Fault(FaultKind.Drop));

    public void DelayNext(int count, TimeSpan latency) => Enqueue(count, new Fault(FaultKind.Latency, 200, latency));

    /// <summary>Stripe is down (every request fails with <paramref name="fault"/>) until <see cref="EndOutage"/>.</summary>
    public void BeginOutage(Fault? fault = null)
    {
        lock (_gate)
        {
            _outage = fault ?? new Fault(FaultKind.Error, 503);
        }
    }

    public void EndOutage()
    {
        lock (_gate)
        {
            _outage = null;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _next.Clear();
            _outage = null;
        }
    }

    public void Enqueue(int count, Fault fault)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _next.Enqueue(fault);
            }
        }
    }

    internal Fault? Take()
    {
        lock (_gate)
        {
            var fault = _outage ?? (_next.TryDequeue(out var next) ? next : null);
            if (fault is not null)
            {
                _injected++;
            }

            return fault;
        }
    }
}
