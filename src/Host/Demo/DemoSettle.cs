using Billing.Ledger.Jobs;

namespace Billing.Host.Demo;

/// <summary>Waits until the demo's work has settled: every due job has run, whichever worker
/// claimed it. Draining with our own worker is not enough on its own, because the Host's
/// background workers may hold a job (mid-charge) that our worker therefore cannot see. Jobs
/// waiting out a retry backoff are not due and do not hold it up.</summary>
public static class DemoSettle
{
    public static async Task UntilQuietAsync(JobWorker worker, JobQueue queue, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var interval = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (true)
        {
            await worker.DrainAsync(ct);
            var counts = await queue.CountsAsync(ct);
            if (counts is { Queued: 0, Running: 0 })
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
