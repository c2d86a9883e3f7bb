using System.Diagnostics;
using System.Globalization;

namespace Billing.Benchmarks;

/// <summary>What acceptance left to processing: the accepted-per-second figure says how fast
/// deliveries are acknowledged, not how fast they are processed (asynchronously, by the Host's
/// dispatcher and job workers). Right after the HTTP case this counts the recorded events not
/// processed yet (those the dispatcher has not given a receipt yet, plus unprocessed receipts) and
/// waits, polling with a deadline, until all are processed, so a reader sees the processing lag
/// the measured acceptance rate leaves behind.</summary>
public sealed partial class WebhookBenchmark
{
    private const string UndispatchedSql = """
        SELECT count(*) FROM ledger.events
         WHERE type = 'stripe.webhook_received.v1' AND global_position > (SELECT position FROM ledger.stripe_webhook_dispatch)
        """;

    private const string UnprocessedSql = "SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE processed_at IS NULL";

    private static async Task<string> MeasureBacklogAsync(BenchDatabase database, CancellationToken ct)
    {
        var undispatched = await CountAsync(database, UndispatchedSql, ct);
        var backlog = undispatched + await CountAsync(database, UnprocessedSql, ct);
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromMinutes(3);
        var left = backlog;
        using var interval = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (left > 0 && clock.Elapsed < deadline && await interval.WaitForNextTickAsync(ct))
        {
            left = await CountAsync(database, UndispatchedSql, ct) + await CountAsync(database, UnprocessedSql, ct);
        }

        // A drain rate over a handful of events would only measure the polling interval.
        var rate = backlog < 1_000 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({backlog / clock.Elapsed.TotalSeconds:N0}/s with no deliveries arriving)");
        return left == 0
            ? string.Create(CultureInfo.InvariantCulture, $"processing backlog at the end of the HTTP case: {backlog:N0} events ({undispatched:N0} not dispatched yet), drained in {clock.Elapsed.TotalSeconds:F1} s{rate}")
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

    private static async Task<long> CountAsync(BenchDatabase database, string sql, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
