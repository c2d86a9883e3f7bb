using System.Diagnostics;

namespace Billing.Benchmarks;

/// <summary>One measured run: how many items (events, rows, jobs) went through and how long each
/// operation took.</summary>
public sealed record LoadResult(int Concurrency, long Operations, long Items, TimeSpan Elapsed, TimeSpan P50, TimeSpan P99, TimeSpan ClientCpu, TimeSpan ServerCpu)
{
    public double ItemsPerSecond => Items / Elapsed.TotalSeconds;

    /// <summary>CPU (client plus server, see <see cref="CpuMeter"/>) per item, in microseconds.</summary>
    public double CpuMicrosecondsPerItem => (ClientCpu + ServerCpu).TotalMicroseconds / Items;

    public double ClientCpuMicrosecondsPerItem => ClientCpu.TotalMicroseconds / Items;

    public double ServerCpuMicrosecondsPerItem => ServerCpu.TotalMicroseconds / Items;
}

/// <summary>Drives <c>concurrency</c> workers, each calling its own operation back to back: first
/// for a warm-up that is not recorded (JIT, pool, prepared statements), then for the measured
/// duration. An operation returns how many items it handled. Each worker's operation is created
/// once, so state it keeps (its streams' versions) carries from warm-up into the measurement.</summary>
public static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(
        int concurrency,
        TimeSpan warmup,
        TimeSpan duration,
        Func<int, Func<CancellationToken, Task<int>>> createWorker,
        CpuMeter cpu,
        CancellationToken ct,
        Action? measuring = null)
    {
        var workers = Enumerable.Range(0, concurrency).Select(createWorker).ToList();
        await PhaseAsync(workers, warmup, recorder: null, ct);
        measuring?.Invoke();
        var recorder = new LatencyRecorder();
        var cpuBefore = cpu.Now();
        var started = Stopwatch.GetTimestamp();
        var (operations, items) = await PhaseAsync(workers, duration, recorder, ct);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpuAfter = cpu.Now();
        return new LoadResult(concurrency, operations, items, elapsed, recorder.P50, recorder.P99, cpuAfter.Client - cpuBefore.Client, cpuAfter.Server - cpuBefore.Server);
    }

    private static async Task<(long Operations, long Items)> PhaseAsync(
        IReadOnlyList<Func<CancellationToken, Task<int>>> workers, TimeSpan length, LatencyRecorder? recorder, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
        var runs = workers.Select(operation => Task.Run(
            async () =>
            {
                long operations = 0, items = 0;
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    var start = Stopwatch.GetTimestamp();
                    items += await operation(ct);
                    recorder?.RecordSince(start);
                    operations++;
                }

                return (operations, items);
            },
            ct));
        var totals = await Task.WhenAll(runs);
        return (totals.Sum(t => t.operations), totals.Sum(t => t.items));
    }
}
