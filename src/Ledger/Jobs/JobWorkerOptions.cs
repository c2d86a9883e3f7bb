namespace Billing.Ledger.Jobs;

/// <summary>How one worker claims. <see cref="LeaseDuration"/> is how long a claimed job stays
/// reserved without news from its worker; the worker renews it when a job of a batch starts
/// with less than half of it left, so it must exceed the longest single handler run.</summary>
public sealed record JobWorkerOptions
{
    public string WorkerId { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Jobs claimed per round trip.</summary>
    public int BatchSize { get; init; } = 16;

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest idle wait when no notification arrives (scheduled jobs becoming due).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Pause after a database error before claiming again.</summary>
    public TimeSpan ErrorBackoff { get; init; } = TimeSpan.FromSeconds(5);
}
