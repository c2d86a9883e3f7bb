using Billing.Ledger.EventStore;

namespace Billing.Ledger.Jobs;

/// <summary>The outbox: a job enqueued on a unit of work commits in the same transaction as its
/// events, so a rolled-back or failed unit of work leaves no job, and a committed one always has
/// its job.</summary>
public static class UnitOfWorkJobExtensions
{
    /// <summary>Adds the job to the unit of work. The correlation id defaults to the unit of
    /// work's metadata correlation id; the enqueue time (and run_at when not given) is the store's
    /// clock. A dedupe key already used by the same job is a no-op; one used by a different job
    /// fails the whole unit of work (SqlState <see cref="JobDedupeConflictException.SqlState"/>).</summary>
    public static UnitOfWork Enqueue(this UnitOfWork uow, JobRequest job)
    {
        ArgumentNullException.ThrowIfNull(uow);
        ArgumentNullException.ThrowIfNull(job);
        var now = uow.Clock.GetUtcNow();
        uow.EnqueuesDueJob |= job.RunAt is null || job.RunAt <= now;
        return uow.AddCommand(EnqueueCommand.Build(job, uow.Metadata.CorrelationId, now));
    }
}
