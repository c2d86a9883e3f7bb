using System.Text.Json;

namespace Billing.Ledger.Jobs;

/// <summary>A job to enqueue. <paramref name="RunAt"/> null means due now (the enqueuer's clock);
/// <paramref name="DedupeKey"/>, when set, makes the enqueue idempotent: the same key enqueued
/// again with the same type and payload is a reported no-op, with anything else an error.</summary>
public sealed record JobRequest(
    string Type,
    string PayloadJson,
    string? TenantId = null,
    DateTimeOffset? RunAt = null,
    string? DedupeKey = null,
    string? CorrelationId = null)
{
    public static JobRequest For<T>(string type, T payload, string? tenantId = null, DateTimeOffset? runAt = null, string? dedupeKey = null, string? correlationId = null) =>
        new(type, JsonSerializer.Serialize(payload, Job.JsonOptions), tenantId, runAt, dedupeKey, correlationId);
}

/// <summary>A claimed job as its handler sees it. <see cref="Attempt"/> is 1 on the first run
/// and counts every claim since the job was (re-)queued, including claims whose worker died.</summary>
public sealed record Job(long Id, string Type, string PayloadJson, string? TenantId, int Attempt, string? CorrelationId, DateTimeOffset RunAt)
{
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web);

    public T Payload<T>() =>
        JsonSerializer.Deserialize<T>(PayloadJson, JsonOptions) ?? throw new JsonException($"Job {Id} ({Type}) has a null payload.");
}

/// <summary>One failed attempt as kept in the job's error history.</summary>
public sealed record JobAttemptError(int Attempt, DateTimeOffset At, string? Worker, string Error);

/// <summary>A job that exhausted its attempts, with every attempt's error, oldest first.</summary>
public sealed record DeadJob(
    long Id,
    string Type,
    string PayloadJson,
    string? TenantId,
    int Attempts,
    string? CorrelationId,
    DateTimeOffset CreatedAt,
    DateTimeOffset DeadAt,
    string? LastError,
    IReadOnlyList<JobAttemptError> Errors);

/// <summary>Queue depth by state for health and metrics. Queued: due now and never tried;
/// scheduled: not due yet and never tried; running: claimed (lease held or expired);
/// retrying: failed at least once and waiting for its next attempt; dead: dead letters.
/// <see cref="OldestDueAt"/> is the run_at of the oldest job that is due but not running.</summary>
public sealed record JobCounts(long Queued, long Scheduled, long Running, long Retrying, long Dead, DateTimeOffset? OldestDueAt);
