using System.Globalization;

namespace Billing.Benchmarks;

/// <summary>Prints the table, the targets, and the summary line that must come last.</summary>
public sealed partial class EventStoreBenchmark
{
    private const double BatchTarget = 0.6;
    private const double SingleTarget = 0.7;

    private static void Report(IReadOnlyList<BenchCase> cases, Dictionary<string, List<LoadResult>> results)
    {
        Console.WriteLine();
        Console.WriteLine($"{"case",-42} {"conc",4} {"events/s best",14} {"spread (min..max)",22} {"p50/op",9} {"p99/op",9}");
        foreach (var benchCase in cases)
        {
            var runs = results[benchCase.Key];
            var best = Best(runs);
            var spread = $"{runs.Min(r => r.ItemsPerSecond):N0}..{runs.Max(r => r.ItemsPerSecond):N0}";
            Console.WriteLine($"{benchCase.Label,-42} {benchCase.Concurrency,4} {best.ItemsPerSecond,14:N0} {spread,22} {Ms(best.P50),9} {Ms(best.P99),9}");
        }

        var batchVsCopy = Ratio(results, "batch", "copy");
        var singleC1 = Ratio(results, "single_c1", "insert_c1");
        var singleC16 = Ratio(results, "single_c16", "insert_c16");
        Console.WriteLine();
        Console.WriteLine($"batch/copy       {batchVsCopy,5:0.00} (target >= {BatchTarget:0.0}; per round {PerRound(results, "batch", "copy")}) {Verdict(batchVsCopy, BatchTarget)}");
        Console.WriteLine($"single/insert c1 {singleC1,5:0.00} (target >= {SingleTarget:0.0}; per round {PerRound(results, "single_c1", "insert_c1")}) {Verdict(singleC1, SingleTarget)}");
        Console.WriteLine($"single/insert c16{singleC16,5:0.00} (target >= {SingleTarget:0.0}; per round {PerRound(results, "single_c16", "insert_c16")}) {Verdict(singleC16, SingleTarget)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"eventstore batch_vs_copy={batchVsCopy:0.00} single_vs_insert_c16={singleC16:0.00}"));
    }

    private static LoadResult Best(IEnumerable<LoadResult> runs) => runs.MaxBy(r => r.ItemsPerSecond)!;

    private static double Ratio(Dictionary<string, List<LoadResult>> results, string ledger, string raw) =>
        Best(results[ledger]).ItemsPerSecond / Best(results[raw]).ItemsPerSecond;

    private static string PerRound(Dictionary<string, List<LoadResult>> results, string ledger, string raw) =>
        string.Join(", ", results[ledger].Zip(results[raw], (l, r) => (l.ItemsPerSecond / r.ItemsPerSecond).ToString("0.00", CultureInfo.InvariantCulture)));

    private static string Verdict(double ratio, double target) => ratio >= target ? "met" : "MISSED";

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString(t.TotalMilliseconds < 10 ? "0.00 ms" : "0.0 ms", CultureInfo.InvariantCulture);
}
