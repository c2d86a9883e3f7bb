namespace Billing.Ledger.Time;

/// <summary>A clock that can be set and advanced, like a Stripe test clock: tests and the demo
/// use it to let days of billing (period close, dunning) happen in seconds. Everything that
/// reads the time takes a <see cref="TimeProvider"/>, so this replaces the system clock
/// wholesale. Thread-safe.</summary>
public sealed class AdjustableClock(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public event Action<DateTimeOffset>? Advanced;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        var now = new DateTimeOffset(Interlocked.Add(ref _utcTicks, by.Ticks), TimeSpan.Zero);
        Advanced?.Invoke(now);
    }

    public void SetTo(DateTimeOffset moment)
    {
        var current = GetUtcNow();
        if (moment < current)
        {
            throw new ArgumentOutOfRangeException(nameof(moment), moment, $"The clock only moves forward (now {current:O}).");
        }

        Advance(moment - current);
    }
}
