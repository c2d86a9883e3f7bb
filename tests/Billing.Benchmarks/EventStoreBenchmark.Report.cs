using System.Globalization;

namespace Billing.Benchmarks;

/// <summary>Prints the table, the targets, and the summary line that must come last.</summary>
public sealed partial class EventStoreBenchmark
{
    private const double BatchTarget = 0.6;
    private const double SingleTarget = 0.7;

    private static void Report(IReadOnlyList<BenchCase> cases, Dictionary<string, List<LoadResult>> results, bool serverCpu)
    {
        Console.WriteLine();
        var cpuHeader = serverCpu ? "CPU us/event" : "client CPU us/ev";
        Console.WriteLine($"{"case",-42} {"conc",4} {"events/s best",14} {"spread (min..max)",22} {"p50/op",9} {"p99/op",9} {cpuHeader,16}");
        foreach (var benchCase in cases)
        {
            var runs = results[benchCase.Key];
            var best = Best(runs);
            var spread = $"{runs.Min(r => r.ItemsPerSecond):N0}..{runs.Max(r => r.ItemsPerSecond):N0}";
            Console.WriteLine($"{benchCase.Label,-42} {benchCase.Concurrency,4} {best.ItemsPerSecond,14:N0} {spread,22} {Ms(best.P50),9} {Ms(best.P99),9} {MinCpu(runs),16:N1}");
        }

        if (cases.Count < 6)
        {
            return;
        }

        Console.WriteLine();
        Console.WriteLine("ratio = median over rounds of ledger events/s / raw events/s, each pair run back to back (the summary line);");
        Console.WriteLine("CPU ratio = raw CPU/event / ledger CPU/event, lowest of each (client + server CPU, steadier than throughput under load)");
        var batchVsCopy = Line("batch/copy", results, "batch", "copy", BatchTarget);
        Line("single/insert c1", results, "single_c1", "insert_c1", SingleTarget);
        var singleC16 = Line("single/insert c16", results, "single_c16", "insert_c16", SingleTarget);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"eventstore batch_vs_copy={batchVsCopy:0.00} single_vs_insert_c16={singleC16:0.00}"));
    }

    /// <summary>The ratio judged against the target is the median of the per-round pairs: each
    /// pair ran back to back (order alternating), so load from other processes drifting over the
    /// run cancels out, where the ratio of two independent bests rewards whichever side happened
    /// to get the quietest second. Both are printed.</summary>
    private static double Line(string name, Dictionary<string, List<LoadResult>> results, string ledger, string raw, double target)
    {
        var paired = results[ledger].Zip(results[raw], (l, r) => l.ItemsPerSecond / r.ItemsPerSecond).ToList();
        var ratio = Median(paired);
        var bestVsBest = Best(results[ledger]).ItemsPerSecond / Best(results[raw]).ItemsPerSecond;
        var cpuRatio = MinCpu(results[raw]) / MinCpu(results[ledger]);
        var verdict = ratio >= target ? "met" : "MISSED";
        Console.WriteLine($"{name,-18} {F(ratio),5} (target >= {F(target)}) {verdict,-6} per round: {string.Join(", ", paired.Select(F))}; best/best {F(bestVsBest)}; CPU ratio {F(cpuRatio)}");
        return ratio;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static LoadResult Best(IEnumerable<LoadResult> runs) => runs.MaxBy(r => r.ItemsPerSecond)!;

    private static double MinCpu(IEnumerable<LoadResult> runs) => runs.Min(r => r.CpuMicrosecondsPerItem);

    private static string F(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString(t.TotalMilliseconds < 10 ? "0.00 ms" : "0.0 ms", CultureInfo.InvariantCulture);
}
