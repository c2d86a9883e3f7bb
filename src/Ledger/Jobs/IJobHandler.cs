namespace Billing.Ledger.Jobs;

/// <summary>Runs jobs of one type. Called outside any database transaction (it may call an
/// external API). To change the ledger, build a unit of work and pass it to
/// <see cref="JobContext.CompleteWithAsync"/>: its events and the job's completion commit
/// together. Returning without completing completes the job with no events; throwing counts a
/// failed attempt and retries per <see cref="Policy"/>. A handler can run more than once for
/// one job (a worker may die after an external call), so external calls must be idempotent
/// (<see cref="JobContext.IdempotencyKey"/>).</summary>
public interface IJobHandler
{
    string JobType { get; }

    JobPolicy Policy { get; }

    Task HandleAsync(JobContext context, CancellationToken ct);
}
