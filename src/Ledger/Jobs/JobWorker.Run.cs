using Microsoft.Extensions.Logging;

namespace Billing.Ledger.Jobs;

public sealed partial class JobWorker
{
    private const int MaxErrorLength = 4000;

    /// <summary>Runs one claimed job; true when it finished without completing itself and needs
    /// the automatic (event-less) completion.</summary>
    private async Task<bool> RunOneAsync(ClaimedJob claimed, CancellationToken ct)
    {
        var handler = _handlers[claimed.Job.Type];
        if (claimed.Job.Attempt > handler.Policy.MaxAttempts)
        {
            // Only reachable through lease expiries: workers kept dying on this job, which is
            // exactly the poison job that must stop being retried.
            await FailAsync(claimed, handler.Policy, $"attempt {claimed.Job.Attempt} exceeds the {handler.Policy.MaxAttempts} allowed after lease expiries");
            return false;
        }

        if (!await RenewLeaseIfLowAsync(claimed))
        {
            _logger.LogWarning("Job {JobId} lost its lease before it started on {WorkerId}", claimed.Job.Id, WorkerId);
            return false;
        }

        var context = new JobContext(claimed, _table);
        var started = _clock.GetTimestamp();
        try
        {
            await handler.HandleAsync(context, ct);
        }
        catch (JobLeaseLostException ex)
        {
            _logger.LogWarning(ex, "Job {JobId} ({JobType}) lost its lease on {WorkerId}; its results were not committed", claimed.Job.Id, claimed.Job.Type, WorkerId);
            return false;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && context.Outcome == JobOutcome.None)
        {
            await ReleaseAsync([claimed], "released at shutdown while running");
            return false;
        }
        catch (Exception ex) when (context.Outcome == JobOutcome.None)
        {
            JobMetrics.Failed.Add(1, new KeyValuePair<string, object?>("type", claimed.Job.Type));
            await FailAsync(claimed, handler.Policy, Truncate(ex.ToString()));
            return false;
        }
        catch (Exception ex)
        {
            // The job was already completed or rescheduled by the handler; that outcome stands.
            _logger.LogError(ex, "Job {JobId} ({JobType}) threw after it was {Outcome}", claimed.Job.Id, claimed.Job.Type, context.Outcome);
            return false;
        }
        finally
        {
            JobMetrics.Duration.Record(_clock.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("type", claimed.Job.Type));
        }

        if (context.Outcome == JobOutcome.Completed)
        {
            JobMetrics.Completed.Add(1, new KeyValuePair<string, object?>("type", claimed.Job.Type));
        }

        return context.Outcome == JobOutcome.None;
    }

    private async Task<bool> RenewLeaseIfLowAsync(ClaimedJob claimed)
    {
        // The whole batch was leased at claim time; a job that starts late in a slow batch gets
        // a fresh lease so it has the full duration for itself.
        if (_clock.GetUtcNow() - claimed.ClaimedAt < _options.LeaseDuration / 2)
        {
            return true;
        }

        return await _table.ExtendLeaseAsync(claimed, _options.LeaseDuration, CancellationToken.None);
    }

    private async Task FailAsync(ClaimedJob claimed, JobPolicy policy, string error)
    {
        var dead = claimed.Job.Attempt >= policy.MaxAttempts;
        var retryAt = _clock.GetUtcNow() + policy.Backoff(claimed.Job.Attempt, Random.Shared);

        // The outcome must be recorded even when shutdown has begun, or the attempt is lost.
        if (!await _table.FailAsync(claimed, retryAt, dead, error, CancellationToken.None))
        {
            _logger.LogWarning("Job {JobId} failed on {WorkerId} after losing its lease; the failure is not recorded", claimed.Job.Id, WorkerId);
            return;
        }

        if (dead)
        {
            JobMetrics.DeadLettered.Add(1, new KeyValuePair<string, object?>("type", claimed.Job.Type));
            _logger.LogError("Job {JobId} ({JobType}, correlation {CorrelationId}) is a dead letter after {Attempts} attempts: {Error}", claimed.Job.Id, claimed.Job.Type, claimed.Job.CorrelationId, claimed.Job.Attempt, error);
        }
        else
        {
            _logger.LogWarning("Job {JobId} ({JobType}) attempt {Attempt} failed; retry at {RetryAt}: {Error}", claimed.Job.Id, claimed.Job.Type, claimed.Job.Attempt, retryAt, error);
        }
    }

    private async Task ReleaseAsync(IEnumerable<ClaimedJob> jobs, string note)
    {
        foreach (var claimed in jobs)
        {
            await _table.ReleaseAsync(claimed, claimed.Job.RunAt, $"{note} ({WorkerId})", CancellationToken.None);
        }
    }

    private async Task CompleteFinishedAsync(List<ClaimedJob> finished)
    {
        if (finished.Count == 0)
        {
            return;
        }

        var completed = await _table.CompleteManyAsync(finished, CancellationToken.None);
        foreach (var lost in finished.Where(j => !completed.Contains(j.Job.Id)))
        {
            _logger.LogWarning("Job {JobId} ({JobType}) finished on {WorkerId} after losing its lease; another worker owns it now", lost.Job.Id, lost.Job.Type, WorkerId);
        }

        foreach (var group in finished.Where(j => completed.Contains(j.Job.Id)).GroupBy(j => j.Job.Type))
        {
            JobMetrics.Completed.Add(group.Count(), new KeyValuePair<string, object?>("type", group.Key));
        }

        finished.Clear();
    }

    private static string Truncate(string error) => error.Length <= MaxErrorLength ? error : error[..MaxErrorLength];
}
