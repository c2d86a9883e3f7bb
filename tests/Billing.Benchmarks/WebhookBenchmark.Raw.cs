using Npgsql;
using NpgsqlTypes;

namespace Billing.Benchmarks;

/// <summary>The baseline: the storage a delivery needs at its barest, one autocommitted prepared
/// INSERT of the event body into a copy of <c>ledger.events</c> (same columns, defaults and
/// indexes), from 16 workers.</summary>
public sealed partial class WebhookBenchmark
{
    private const string RawSchemaSql = """
        CREATE SCHEMA IF NOT EXISTS bench;
        CREATE TABLE bench.raw_webhooks (LIKE ledger.events INCLUDING ALL);
        """;

    private const string RawInsertSql = """
        INSERT INTO bench.raw_webhooks (event_id, tenant_id, stream_id, version, type, data, correlation_id, causation_id, actor)
        VALUES ($1, $2, $3, 1, 'stripe.webhook_received.v1', $4, $5, $6, 'stripe-webhook')
        """;

    /// <summary>The same INSERT plus the <c>pg_notify</c> that ledger.events' statement trigger
    /// (<c>events_appended_notify</c>, for the projection daemons) adds to every append: shows
    /// what notifying costs concurrent single-row commits on its own.</summary>
    private const string RawNotifySql = "SELECT pg_notify('bench_events', '')";

    private static async Task<LoadResult> RunRawAsync(BenchDatabase database, bool notify, TimeSpan warmup, TimeSpan duration, CancellationToken ct)
    {
        await database.ExecuteAsync(notify ? "TRUNCATE bench.raw_webhooks" : RawSchemaSql, ct);
        return await LoadRunner.RunAsync(Senders, warmup, duration, w => RawWorker(database, w, notify), database.Cpu, ct);
    }

    private static Func<CancellationToken, Task<int>> RawWorker(BenchDatabase database, int worker, bool notify)
    {
        var next = 0;
        return async ct =>
        {
            var suffix = $"raw{(notify ? "n" : "")}{worker}_{next++}";
            var body = System.Text.Encoding.UTF8.GetString(Body(suffix));
            await using var connection = await database.DataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(RawInsertSql, connection);
            var p = command.Parameters;
            p.Add(new() { Value = Guid.CreateVersion7(), NpgsqlDbType = NpgsqlDbType.Uuid });
            p.Add(new() { Value = TenantId, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = "stripe-webhook-evt_bench_" + suffix, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = body, NpgsqlDbType = NpgsqlDbType.Jsonb });
            p.Add(new() { Value = "bench-raw", NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = "evt_bench_" + suffix, NpgsqlDbType = NpgsqlDbType.Text });
            await command.PrepareAsync(ct);
            if (!notify)
            {
                await command.ExecuteNonQueryAsync(ct);
                return 1;
            }

            await using var tx = await connection.BeginTransactionAsync(ct);
            command.Transaction = tx;
            await command.ExecuteNonQueryAsync(ct);
            await using var notification = new NpgsqlCommand(RawNotifySql, connection, tx);
            await notification.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            return 1;
        };
    }
}
