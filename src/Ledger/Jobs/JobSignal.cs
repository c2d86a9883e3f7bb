using Billing.Ledger.Time;

namespace Billing.Ledger.Jobs;

/// <summary>Wakes idle workers: pulsed by LISTEN ledger_jobs notifications and by an
/// <see cref="AdjustableClock"/> being advanced (scheduled jobs may have become due).
/// A pulse with nobody waiting is remembered until the next wait, so none is lost.</summary>
public sealed class JobSignal : IDisposable
{
    private readonly AdjustableClock? _clock;
    private TaskCompletionSource _pulse = NewSource();

    public JobSignal(TimeProvider? clock = null)
    {
        _clock = clock as AdjustableClock;
        if (_clock is not null)
        {
            _clock.Advanced += OnAdvanced;
        }
    }

    public void Pulse() => Volatile.Read(ref _pulse).TrySetResult();

    public void Dispose()
    {
        if (_clock is not null)
        {
            _clock.Advanced -= OnAdvanced;
        }
    }

    /// <summary>Waits for a pulse or <paramref name="timeout"/> (real time), whichever is first.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var current = Volatile.Read(ref _pulse);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(timeout, timer.Token);
        var first = await Task.WhenAny(current.Task, delay);
        await timer.CancelAsync();
        ct.ThrowIfCancellationRequested();
        if (first == current.Task)
        {
            // Consume the pulse: later waits block until the next one.
            Interlocked.CompareExchange(ref _pulse, NewSource(), current);
        }
    }

    private void OnAdvanced(DateTimeOffset now) => Pulse();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
