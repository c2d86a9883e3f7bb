using Billing.Ledger.EventStore;

namespace Billing.Ledger.Jobs;

/// <summary>What a handler gets for one run of one job: the job, and the two ways to finish it
/// that write to the database under this run's lease.</summary>
public sealed class JobContext
{
    private readonly ClaimedJob _claimed;
    private readonly JobTable _table;
    private readonly TimeSpan _leaseDuration;

    internal JobContext(ClaimedJob claimed, JobTable table, TimeSpan leaseDuration)
    {
        _claimed = claimed;
        _table = table;
        _leaseDuration = leaseDuration;
    }

    public Job Job => _claimed.Job;

    /// <summary>Metadata for the handler's unit of work: the job's correlation id, caused by this job.</summary>
    public EventMetadata Metadata => new(Job.CorrelationId, $"job:{Job.Id}", $"job:{Job.Type}");

    internal JobOutcome Outcome { get; private set; }

    /// <summary>A key that is the same on every attempt of this job (and after a re-queue), for
    /// idempotent external calls: a retried Stripe request with it is not a second charge.</summary>
    public string IdempotencyKey(string purpose) => $"job-{Job.Id}-{purpose}";

    /// <summary>Appends the handler's events and marks the job completed in one short
    /// transaction. The job row is locked and checked against this run's lease first: if another
    /// worker took the job over (or it was released), nothing is written and
    /// <see cref="JobLeaseLostException"/> is thrown. Any append error (e.g. a wrong expected
    /// version) also rolls the completion back and propagates, so the attempt counts as failed.</summary>
    public async Task CompleteWithAsync(UnitOfWork uow, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(uow);
        EnsureOpen();
        await using var connection = await uow.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (!await _table.CompleteInAsync(_claimed, connection, transaction, ct))
        {
            throw new JobLeaseLostException(Job.Id, _table.WorkerId);
        }

        if (!uow.IsEmpty)
        {
            await uow.CommitAsync(connection, transaction, ct);
        }

        await transaction.CommitAsync(ct);
        Outcome = JobOutcome.Completed;
        uow.NotifyCommitted();
    }

    /// <summary>Completes several jobs of one run together with their units of work, in one
    /// transaction (a batch handler's completion). Every job's lease is checked first; when any
    /// was lost, or any append fails, nothing is written, no job counts as completed and the
    /// error propagates (the worker then runs each job on its own).</summary>
    public static Task CompleteAllWithAsync(IReadOnlyList<(JobContext Job, UnitOfWork Work)> completions, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(completions);
        return CompleteAllAsync([.. completions.Select(c => c.Job)], [.. completions.Select(c => c.Work)], ct);
    }

    /// <summary>As <see cref="CompleteAllWithAsync(IReadOnlyList{ValueTuple{JobContext, UnitOfWork}}, CancellationToken)"/>
    /// with one unit of work holding every job's effects (see <see cref="UnitOfWork.Include"/>):
    /// the effects go to the server in one round trip.</summary>
    public static Task CompleteAllWithAsync(IReadOnlyList<JobContext> jobs, UnitOfWork work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(work);
        return CompleteAllAsync(jobs, [work], ct);
    }

    private static async Task CompleteAllAsync(IReadOnlyList<JobContext> jobs, IReadOnlyList<UnitOfWork> works, CancellationToken ct)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        foreach (var job in jobs)
        {
            job.EnsureOpen();
        }

        var table = jobs[0]._table;
        await using var connection = await works[0].DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var completed = await table.CompleteManyInAsync([.. jobs.Select(j => j._claimed)], connection, transaction, ct);
        if (jobs.FirstOrDefault(j => !completed.Contains(j.Job.Id)) is { } lost)
        {
            throw new JobLeaseLostException(lost.Job.Id, table.WorkerId);
        }

        foreach (var work in works.Where(w => !w.IsEmpty))
        {
            await work.CommitAsync(connection, transaction, ct);
        }

        await transaction.CommitAsync(ct);
        foreach (var job in jobs)
        {
            job.Outcome = JobOutcome.Completed;
        }

        foreach (var work in works)
        {
            work.NotifyCommitted();
        }
    }

    /// <summary>Puts the job back to run at <paramref name="runAt"/> without counting this run as
    /// a failed attempt ("the provider said retry after X").</summary>
    public async Task RescheduleAsync(DateTimeOffset runAt, string reason, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        EnsureOpen();
        if (!await _table.ReleaseAsync(_claimed, runAt, "rescheduled: " + reason, ct))
        {
            throw new JobLeaseLostException(Job.Id, _table.WorkerId);
        }

        Outcome = JobOutcome.Rescheduled;
    }

    /// <summary>Renews this run's lease to a full lease duration from now, for a handler that
    /// runs longer than one lease (call it between steps). Throws
    /// <see cref="JobLeaseLostException"/> when the lease was already lost: stop working then.</summary>
    public async Task ExtendLeaseAsync(CancellationToken ct)
    {
        EnsureOpen();
        if (!await _table.ExtendLeaseAsync(_claimed, _leaseDuration, ct))
        {
            throw new JobLeaseLostException(Job.Id, _table.WorkerId);
        }
    }

    private void EnsureOpen()
    {
        if (Outcome != JobOutcome.None)
        {
            throw new InvalidOperationException($"Job {Job.Id} was already {Outcome.ToString().ToLowerInvariant()} in this run.");
        }
    }
}

internal enum JobOutcome
{
    None,
    Completed,
    Rescheduled,
}
