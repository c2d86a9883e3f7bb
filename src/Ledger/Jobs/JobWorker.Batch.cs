using Microsoft.Extensions.Logging;

namespace Billing.Ledger.Jobs;

public sealed partial class JobWorker
{
    /// <summary>Offers the claimed jobs of each <see cref="IBatchJobHandler"/> type (two or more
    /// of them) to their handler at once. Returns the ids of the jobs this settled: completed
    /// by the batch, or not ready to run (dead-lettered, lease lost). The rest run one by one.</summary>
    private async Task<HashSet<long>> RunBatchesAsync(IReadOnlyList<ClaimedJob> claimed, CancellationToken ct)
    {
        var settled = new HashSet<long>();
        var groups = claimed.Where(c => _handlers[c.Job.Type] is IBatchJobHandler).GroupBy(c => c.Job.Type).Where(g => g.Count() > 1);
        foreach (var group in groups)
        {
            if (ct.IsCancellationRequested)
            {
                break;
            }

            var handler = (IBatchJobHandler)_handlers[group.Key];
            var contexts = new List<JobContext>();
            foreach (var job in group)
            {
                if (await ReadyToRunAsync(job, handler.Policy))
                {
                    contexts.Add(new JobContext(job, _table, _options.LeaseDuration));
                }
                else
                {
                    settled.Add(job.Job.Id);
                }
            }

            await RunBatchAsync(handler, contexts, settled, ct);
        }

        return settled;
    }

    private async Task RunBatchAsync(IBatchJobHandler handler, List<JobContext> contexts, HashSet<long> settled, CancellationToken ct)
    {
        var started = _clock.GetTimestamp();
        try
        {
            await handler.HandleBatchAsync(contexts, ct);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
        {
            // Not a failed attempt of any one job: each job left open now runs on its own, where
            // a failure counts against that job alone.
            _logger.LogWarning(ex, "Batch of {Count} {JobType} jobs failed on {WorkerId}; running them one by one", contexts.Count, handler.JobType, WorkerId);
        }
        catch (OperationCanceledException)
        {
            // Shutdown: the jobs left open are released by the caller.
        }

        var completed = contexts.Where(c => c.Outcome != JobOutcome.None).ToList();
        var elapsed = _clock.GetElapsedTime(started).TotalSeconds;
        foreach (var context in completed)
        {
            settled.Add(context.Job.Id);
            JobMetrics.Duration.Record(elapsed, new KeyValuePair<string, object?>("type", context.Job.Type));
        }

        JobMetrics.Completed.Add(completed.Count(c => c.Outcome == JobOutcome.Completed), new KeyValuePair<string, object?>("type", handler.JobType));
    }
}
