namespace Billing.Ledger.Jobs;

/// <summary>Retry policy of one job type: at most <see cref="MaxAttempts"/> runs, then the job
/// is a dead letter. After failed attempt n the job waits a random delay between half and all
/// of min(<see cref="MaxDelay"/>, <see cref="BaseDelay"/> * 2^(n-1)) ("equal jitter": spread
/// out, yet never sooner than half the nominal backoff).</summary>
public sealed record JobPolicy(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    public static JobPolicy Default { get; } = new(10, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1));

    /// <summary>The nominal (largest) delay after failed attempt <paramref name="attempt"/>.</summary>
    public TimeSpan NominalDelay(int attempt)
    {
        var ticks = Math.Max(0, BaseDelay.Ticks);
        var max = Math.Max(ticks, MaxDelay.Ticks);
        for (var i = 1; i < attempt && ticks < max; i++)
        {
            // Doubling stops at the cap, so this never overflows.
            ticks = ticks > max / 2 ? max : ticks * 2;
        }

        return TimeSpan.FromTicks(Math.Min(ticks, max));
    }

    /// <summary>The jittered delay after failed attempt <paramref name="attempt"/>:
    /// uniformly in [nominal / 2, nominal].</summary>
    public TimeSpan Backoff(int attempt, Random random)
    {
        var nominal = NominalDelay(attempt).Ticks;
        return TimeSpan.FromTicks(random.NextInt64(nominal / 2, nominal + 1));
    }
}
