using System.Diagnostics;
using System.Globalization;

namespace Billing.Benchmarks;

/// <summary>What acceptance left to processing: the accepted-per-second figure says how fast
/// deliveries are acknowledged, not how fast they are processed (asynchronously, by the Host's
/// job workers). Right after the HTTP case this counts the receipts not processed yet and waits,
/// polling with a deadline, until the workers have processed them all, so a reader sees the
/// processing lag the measured acceptance rate leaves behind.</summary>
public sealed partial class WebhookBenchmark
{
    private const string UnprocessedSql = "SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE processed_at IS NULL";

    private static async Task<string> MeasureBacklogAsync(BenchDatabase database, CancellationToken ct)
    {
        var backlog = await UnprocessedAsync(database, ct);
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromMinutes(3);
        var left = backlog;
        using var interval = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (left > 0 && clock.Elapsed < deadline && await interval.WaitForNextTickAsync(ct))
        {
            left = await UnprocessedAsync(database, ct);
        }

        // A drain rate over a handful of events would only measure the polling interval.
        var rate = backlog < 1_000 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({backlog / clock.Elapsed.TotalSeconds:N0}/s with no deliveries arriving)");
        return left == 0
            ? string.Create(CultureInfo.InvariantCulture, $"processing backlog at the end of the HTTP case: {backlog:N0} events, drained in {clock.Elapsed.TotalSeconds:F1} s{rate}")
            : string.Create(CultureInfo.InvariantCulture, $"processing backlog at the end of the HTTP case: {backlog:N0} events, {left:N0} still unprocessed after {deadline.TotalMinutes:0} min");
    }

    // Recording transactions of the HTTP case (warm-up included), by how many fresh events each
    // appended: how well group commit shares its per-batch costs (a duplicate appends nothing).
    private const string RecordingBatchesSql = """
        SELECT count(*), coalesce(sum(n), 0), count(*) FILTER (WHERE n = 1)
          FROM (SELECT count(*) AS n FROM ledger.events WHERE type = 'stripe.webhook_received.v1' GROUP BY tx_id) AS batches
        """;

    private static async Task<string> RecordingBatchesAsync(BenchDatabase database, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand(RecordingBatchesSql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (batches, events, lone) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        return batches == 0
            ? "recording transactions in the HTTP case: none"
            : string.Create(CultureInfo.InvariantCulture, $"recording transactions in the HTTP case: {batches:N0}, {(double)events / batches:F1} fresh events each on average, {100.0 * lone / batches:F0} % with one");
    }

    private static async Task<long> UnprocessedAsync(BenchDatabase database, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand(UnprocessedSql);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
