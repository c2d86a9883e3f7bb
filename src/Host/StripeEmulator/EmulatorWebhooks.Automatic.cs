namespace Billing.Host.StripeEmulator;

public sealed partial class EmulatorWebhooks
{
    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)];

    /// <summary>True once every automatically delivered event has been answered or given up on.</summary>
    public bool IsIdle => Volatile.Read(ref _inFlight) == 0;

    /// <summary>Polls until automatic delivery is idle, failing after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilIdleAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        while (!IsIdle)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), deadline.Token);
        }
    }

    /// <summary>Delivers in order of emission. Like Stripe, a delivery that is not answered with
    /// 2xx is retried later (here a few times within seconds, not over three days).</summary>
    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var e in _outbox.Reader.ReadAllAsync(ct))
            {
                try
                {
                    for (var attempt = 0; attempt <= RetryDelays.Length; attempt++)
                    {
                        var status = await PostAsync(e, ct);
                        if (status is >= 200 and < 300 || Endpoint is null || attempt == RetryDelays.Length)
                        {
                            break;
                        }

                        await Task.Delay(RetryDelays[attempt], ct);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: undelivered events stay in Events for inspection.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _outbox.Writer.TryComplete();
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
