using Billing.Ledger.Jobs;

namespace Billing.Host.Demo;

/// <summary>Waits until the demo's work has settled: every due job has run, whichever worker
/// claimed it, and (when <c>deliveriesIdle</c> is given) the Stripe emulator has no webhook in
/// flight. Draining with our own worker is not enough on its own, because the Host's
/// background workers may hold a job (mid-charge) that our worker therefore cannot see. Jobs
/// waiting out a retry backoff are not due and do not hold it up.</summary>
public static class DemoSettle
{
    public static async Task UntilQuietAsync(JobWorker worker, JobQueue queue, TimeSpan timeout, CancellationToken ct, Func<bool>? deliveriesIdle = null)
    {
        deliveriesIdle ??= () => true;
        var deadline = DateTime.UtcNow + timeout;
        using var interval = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (true)
        {
            // Idle before and after the count: a delivery answered (its job enqueued) while we
            // counted was in flight at the first look; one emitted by a job that finished while
            // we counted is in flight at the second.
            var idleBefore = deliveriesIdle();
            await worker.DrainAsync(ct);
            var counts = await queue.CountsAsync(ct);
            if (idleBefore && counts is { Queued: 0, Running: 0 } && deliveriesIdle())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Jobs did not settle within {timeout}: {counts}.");
            }

            await interval.WaitForNextTickAsync(ct);
        }
    }
}
