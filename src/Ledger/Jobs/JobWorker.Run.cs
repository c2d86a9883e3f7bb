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
        if (!await ReadyToRunAsync(claimed, handler.Policy))
        {
            return false;
        }

        var context = new JobContext(claimed, _table, _options.LeaseDuration);
        var started = _clock.GetTimestamp();

        // The job carries the correlation id of the request or event that enqueued it: its log
        // lines, its appends and its Stripe calls stay on that one id.
        using var correlation = claimed.Job.CorrelationId is { } id ? Billing.Ledger.Observability.CorrelationScope.Begin(id) : null;
        try
        {
            await handler.HandleAsync(context, ct);
        }
        catch (Exception ex)
        {
            await RecordThrowAsync(claimed, handler.Policy, context, ex, ct);
            return false;
        }
        finally
        {
            JobMetrics.Duration.Record(_clock.GetElapsedTime(started).TotalSeconds, TypeTag(claimed));
        }

        if (context.Outcome == JobOutcome.Completed)
        {
            JobMetrics.Completed.Add(1, TypeTag(claimed));
        }

        return context.Outcome == JobOutcome.None;
    }

    private async Task<bool> ReadyToRunAsync(ClaimedJob claimed, JobPolicy policy)
    {
        if (claimed.Job.Attempt > policy.MaxAttempts)
        {
            // Only reachable through lease expiries: workers kept dying on this job, which is
            // exactly the poison job that must stop being retried.
            await FailAsync(claimed, policy, $"attempt {claimed.Job.Attempt} exceeds the {policy.MaxAttempts} allowed; earlier attempts ended in lease expiries");
            return false;
        }

        if (await RenewLeaseIfLowAsync(claimed))
        {
            return true;
        }

        _logger.LogWarning("Job {JobId} lost its lease before it started on {WorkerId}", claimed.Job.Id, WorkerId);
        return false;
    }

    /// <summary>What a handler's exception means depends on how far the job got: a lost lease
    /// wrote nothing and belongs to another worker now; after a completion or reschedule the
    /// recorded outcome stands; a cancelled shutdown releases the job; anything else is a
    /// failed attempt.</summary>
    private async Task RecordThrowAsync(ClaimedJob claimed, JobPolicy policy, JobContext context, Exception ex, CancellationToken ct)
    {
        if (ex is JobLeaseLostException)
        {
            _logger.LogWarning(ex, "Job {JobId} ({JobType}) lost its lease on {WorkerId}; its results were not committed", claimed.Job.Id, claimed.Job.Type, WorkerId);
        }
        else if (context.Outcome != JobOutcome.None)
        {
            _logger.LogError(ex, "Job {JobId} ({JobType}) threw after it was {Outcome}; that outcome stands", claimed.Job.Id, claimed.Job.Type, context.Outcome);
        }
        else if (ex is OperationCanceledException && ct.IsCancellationRequested)
        {
            await ReleaseAsync([claimed], "released at shutdown while running");
        }
        else
        {
            JobMetrics.Failed.Add(1, TypeTag(claimed));
            await FailAsync(claimed, policy, Truncate(ex.ToString()));
        }
    }

    private static KeyValuePair<string, object?> TypeTag(ClaimedJob claimed) => new("type", claimed.Job.Type);

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
            JobMetrics.DeadLettered.Add(1, TypeTag(claimed));
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
