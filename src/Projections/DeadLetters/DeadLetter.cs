namespace Billing.Projections;

/// <summary>An event a projection failed to apply after its retries.</summary>
/// <param name="Status"><c>open</c> (needs an operator), <c>requeued</c> (the paused projection
/// will meet it again), <c>resolved</c> (applied since).</param>
public sealed record DeadLetter(
    long Id,
    string Projection,
    long Position,
    Guid EventId,
    string EventType,
    string TenantId,
    string StreamId,
    string Error,
    int Attempts,
    string Status,
    DateTimeOffset FailedAt,
    DateTimeOffset? ResolvedAt);

/// <summary>What retrying a dead letter did: <c>requeued</c> (the projection had paused before
/// the event and now resumes from it), <c>resolved</c> (the skipped event was applied now) or
/// <c>failed</c> (it failed again; <see cref="Error"/> says why and the letter stays open).</summary>
public sealed record DeadLetterRetry(long Id, string Outcome, string? Error);

/// <summary>No open dead letter has that id.</summary>
public sealed class DeadLetterNotFoundException(long id) : Exception($"No open dead letter with id {id}.")
{
    public long Id { get; } = id;
}
