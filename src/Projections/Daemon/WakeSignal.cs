namespace Billing.Projections.Daemon;

/// <summary>An auto-reset wake-up: any number of <see cref="Set"/> calls before a wait count as one.</summary>
internal sealed class WakeSignal : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Set()
    {
        // Set from the notification thread and the agent alike: a lost race against another
        // Set is exactly the coalescing this signal wants, so SemaphoreFullException is expected.
        try
        {
            _semaphore.Release();
        }
        catch (SemaphoreFullException)
        {
            return;
        }
    }

    /// <summary>Waits for a wake-up or the timeout (the polling fallback).</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _semaphore.WaitAsync(timeout, ct);

    public void Dispose() => _semaphore.Dispose();
}
