namespace Billing.Ledger.Jobs;

/// <summary>The worker no longer holds the job's lease (it expired and another worker claimed
/// the job, or it was released): nothing this worker tried to commit for the job was written.</summary>
public sealed class JobLeaseLostException(long jobId, string worker)
    : Exception($"Job {jobId}: worker {worker} no longer holds its lease; nothing was committed.")
{
    public long JobId { get; } = jobId;

    public string Worker { get; } = worker;
}

/// <summary>A dedupe key already belongs to a job with another type or payload. Raised by
/// <see cref="JobQueue.EnqueueAsync"/>; a unit of work carrying such an enqueue fails as a whole
/// with a PostgreSQL error whose SqlState is <see cref="SqlState"/>.</summary>
public sealed class JobDedupeConflictException(string dedupeKey, long existingJobId, Exception inner)
    : Exception($"Dedupe key '{dedupeKey}' already belongs to job {existingJobId} with a different type or payload.", inner)
{
    public const string SqlState = "LJ002";

    public string DedupeKey { get; } = dedupeKey;

    public long ExistingJobId { get; } = existingJobId;
}
