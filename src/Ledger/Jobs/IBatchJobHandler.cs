namespace Billing.Ledger.Jobs;

/// <summary>A handler that can run several claimed jobs of its type together, to complete them
/// in one transaction (<see cref="JobContext.CompleteAllWithAsync"/>) instead of one each. The
/// worker hands it every ready job of its type from a claim of two or more; each job the batch
/// did not complete (the handler skipped it, the batch threw, the batch transaction failed) is
/// then run on its own through <see cref="IJobHandler.HandleAsync"/>, with the usual attempt
/// counting, retries and dead-lettering. So a batch may simply leave out what it cannot do,
/// and a poison job fails alone. Batch runs carry no single correlation scope.</summary>
public interface IBatchJobHandler : IJobHandler
{
    Task HandleBatchAsync(IReadOnlyList<JobContext> jobs, CancellationToken ct);
}
