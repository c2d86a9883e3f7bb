using System.Diagnostics;

namespace Billing.Benchmarks;

/// <summary>Per-operation latencies from any number of concurrent workers, reported as
/// nearest-rank percentiles.</summary>
public sealed class LatencyRecorder
{
    private readonly Lock _gate = new();
    private readonly List<long> _ticks = [];

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _ticks.Count;
            }
        }
    }

    public TimeSpan P50 => Percentile(50);

    public TimeSpan P99 => Percentile(99);

    /// <summary>Records the time elapsed since <paramref name="startTimestamp"/>, a value of
    /// <see cref="Stopwatch.GetTimestamp"/> taken when the operation began.</summary>
    public void RecordSince(long startTimestamp) => Add(Stopwatch.GetTimestamp() - startTimestamp);

    /// <summary>Records a duration measured elsewhere (e.g. by an instrument of the Host's).</summary>
    public void Record(TimeSpan elapsed) => Add((long)(elapsed.TotalSeconds * Stopwatch.Frequency));

    public TimeSpan Mean
    {
        get
        {
            lock (_gate)
            {
                return _ticks.Count == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, (long)_ticks.Average());
            }
        }
    }

    private void Add(long ticks)
    {
        lock (_gate)
        {
            _ticks.Add(ticks);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _ticks.Clear();
        }
    }

    public TimeSpan Percentile(double percent)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(percent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        long[] sorted;
        lock (_gate)
        {
            sorted = [.. _ticks];
        }

        if (sorted.Length == 0)
        {
            return TimeSpan.Zero;
        }

        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return Stopwatch.GetElapsedTime(0, sorted[Math.Clamp(rank, 1, sorted.Length) - 1]);
    }
}
