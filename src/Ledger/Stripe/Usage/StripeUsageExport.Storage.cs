using Billing.Ledger.EventStore;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Usage;

public sealed partial class StripeUsageExport
{
    /// <summary>The open batch (a crashed run) or a new one from the last completed batch to the
    /// visible head; null when no usage was recorded since.</summary>
    private async Task<UsageBatch?> PlanAsync(CancellationToken ct)
    {
        await using (var open = dataSource.CreateCommand(OpenBatchSql))
        await using (var reader = await open.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                return new UsageBatch(reader.GetGuid(0), Position(reader, 1), Position(reader, 3), Resumed: true);
            }
        }

        var from = await PositionAsync(LastCompletedSql, ct) ?? LogPosition.Start;
        var head = await PositionAsync(HeadSql, ct);
        return head is null || head.Value.CompareTo(from) <= 0 ? null : new UsageBatch(Guid.CreateVersion7(), from, head.Value, Resumed: false);
    }

    private async Task<IReadOnlyList<UsageAggregate>> AggregateAsync(UsageBatch batch, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(AggregateSql);
        AddPosition(command.Parameters, batch.From);
        AddPosition(command.Parameters, batch.To);
        var result = new List<UsageAggregate>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result.Add(new UsageAggregate(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetDecimal(3), reader.GetInt64(4)));
        }

        return result;
    }

    private async Task<Dictionary<string, string>> CustomersAsync(string[] tenants, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(CustomersSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tenants, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        var customers = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            customers[reader.GetString(0)] = reader.GetString(1);
        }

        return customers;
    }

    private async Task<LogPosition?> PositionAsync(string sql, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Position(reader, 0) : null;
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct, params object[] values)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(value is ulong xid
                ? new NpgsqlParameter<ulong> { TypedValue = xid, NpgsqlDbType = NpgsqlDbType.Xid8 }
                : new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync(ct);
    }

    private static LogPosition Position(NpgsqlDataReader reader, int ordinal) => new(reader.GetFieldValue<ulong>(ordinal), reader.GetInt64(ordinal + 1));

    private static void AddPosition(NpgsqlParameterCollection parameters, LogPosition position)
    {
        parameters.Add(new NpgsqlParameter<ulong> { TypedValue = position.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        parameters.Add(new NpgsqlParameter<long> { TypedValue = position.GlobalPosition });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe usage flush started mode={Mode}")]
    private static partial void LogStarted(ILogger logger, string mode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe usage flush skipped=true: another flush holds the lock")]
    private static partial void LogSkipped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe usage flush found no pending events")]
    private static partial void LogNothingPending(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe usage flush batch started {BatchId} aggregates={Aggregates} resumed={Resumed}")]
    private static partial void LogBatchStarted(ILogger logger, Guid batchId, int aggregates, bool resumed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe usage flush batch completed {BatchId} sent={Sent} tenants_without_customer={Missing}")]
    private static partial void LogBatchCompleted(ILogger logger, Guid batchId, int sent, int missing);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe usage flush completed mode={Mode} aggregates={Aggregates} sent={Sent}")]
    private static partial void LogCompleted(ILogger logger, string mode, int aggregates, int sent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe meter event submit attempt organization_id={TenantId} idempotency_key={Identifier}")]
    private static partial void LogSubmitAttempt(ILogger logger, string tenantId, string identifier);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe meter event submit failed organization_id={TenantId} idempotency_key={Identifier}: {Error}")]
    private static partial void LogSubmitFailed(ILogger logger, string tenantId, string identifier, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe meter event submit succeeded organization_id={TenantId} idempotency_key={Identifier}")]
    private static partial void LogSubmitSucceeded(ILogger logger, string tenantId, string identifier);
}
