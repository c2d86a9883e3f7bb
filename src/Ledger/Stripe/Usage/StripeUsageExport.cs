using Billing.Ledger.EventStore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Billing.Ledger.Stripe.Usage;

/// <summary>Exports recorded usage to Stripe billing meters. One flush: take the overlap lock
/// (a second concurrent flush returns <c>skipped=true</c> and does nothing), resume the open
/// batch or start one over the log range since the last completed batch, aggregate usage per
/// tenant, metric and hour, and send one meter event per aggregate with an identifier derived
/// from the batch id, so a rerun after a crash mid-batch never double counts.</summary>
public sealed partial class StripeUsageExport(
    NpgsqlDataSource dataSource,
    StripeClient stripe,
    UsageExportOptions options,
    TimeProvider time,
    ILogger<StripeUsageExport> logger)
{
    public async Task<UsageFlushResult> FlushAsync(UsageExportMode mode, CancellationToken ct)
    {
        await using var lockConnection = await dataSource.OpenConnectionAsync(ct);
        if (!await TryLockAsync(lockConnection, ct))
        {
            LogSkipped(logger);
            return UsageFlushResult.SkippedRun(mode);
        }

        try
        {
            LogStarted(logger, mode.ToString());
            var batch = await PlanAsync(ct);
            if (batch is null)
            {
                LogNothingPending(logger);
                return new UsageFlushResult(mode, false, null, 0, 0, 0, 0);
            }

            var aggregates = await AggregateAsync(batch, ct);
            var customers = await CustomersAsync(aggregates.Select(a => a.TenantId).Distinct().ToArray(), ct);
            var missing = aggregates.Select(a => a.TenantId).Distinct().Count(t => !customers.ContainsKey(t));
            var quantity = aggregates.Sum(a => a.Quantity);
            if (mode == UsageExportMode.DryRun)
            {
                LogCompleted(logger, "dry-run", aggregates.Count, 0);
                return new UsageFlushResult(mode, false, null, aggregates.Count, 0, missing, quantity);
            }

            var sent = await SendBatchAsync(batch, aggregates, customers, missing, ct);
            LogCompleted(logger, "live", aggregates.Count, sent);
            return new UsageFlushResult(mode, false, batch.BatchId, aggregates.Count, sent, missing, quantity);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", lockConnection);
            unlock.Parameters.Add(new NpgsqlParameter<long> { TypedValue = options.LockKey });
            await unlock.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    /// <summary>The identifier Stripe dedupes on: the same for every attempt of one batch.</summary>
    public static string Identifier(Guid batchId, UsageAggregate a) =>
        $"usage:{batchId:N}:{a.TenantId}:{a.Metric}:{a.Hour.UtcDateTime:yyyyMMddHH}";

    private async Task<int> SendBatchAsync(UsageBatch batch, IReadOnlyList<UsageAggregate> aggregates, Dictionary<string, string> customers, int missing, CancellationToken ct)
    {
        if (!batch.Resumed)
        {
            await ExecuteAsync(InsertBatchSql, ct, batch.BatchId, batch.From.TxId, batch.From.GlobalPosition, batch.To.TxId, batch.To.GlobalPosition, time.GetUtcNow());
        }
        else
        {
            await ExecuteAsync(ResumeBatchSql, ct, batch.BatchId);
        }

        LogBatchStarted(logger, batch.BatchId, aggregates.Count, batch.Resumed);
        var sent = 0;
        foreach (var aggregate in aggregates)
        {
            if (customers.TryGetValue(aggregate.TenantId, out var customer))
            {
                await SubmitAsync(batch.BatchId, aggregate, customer, ct);
                sent++;
            }
        }

        await ExecuteAsync(CompleteBatchSql, ct, batch.BatchId, time.GetUtcNow(), sent, missing);
        LogBatchCompleted(logger, batch.BatchId, sent, missing);
        return sent;
    }

    private async Task SubmitAsync(Guid batchId, UsageAggregate aggregate, string customer, CancellationToken ct)
    {
        var identifier = Identifier(batchId, aggregate);
        LogSubmitAttempt(logger, aggregate.TenantId, identifier);
        try
        {
            await stripe.CreateMeterEventAsync(new MeterEventCreate(options.EventNameFor(aggregate.Metric), customer, aggregate.Quantity, identifier, aggregate.Hour), ct);
        }
        catch (Exception ex) when (ex is StripeApiException or StripeUnavailableException)
        {
            LogSubmitFailed(logger, aggregate.TenantId, identifier, ex.Message);
            throw;
        }

        LogSubmitSucceeded(logger, aggregate.TenantId, identifier);
    }

    private async Task<bool> TryLockAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = options.LockKey });
        return await command.ExecuteScalarAsync(ct) is true;
    }
}
