using Billing.Ledger.EventStore;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Webhooks;

public sealed partial class StripeWebhookProcessor
{
    private async Task<bool> IsProcessedAsync(string stripeEventId, CancellationToken ct)
    {
        await using var command = store.DataSource.CreateCommand(ProcessedAtSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stripeEventId });
        var value = await command.ExecuteScalarAsync(ct);
        return value is not null and not DBNull;
    }

    private async Task<StripeWebhookReceived> ReadReceivedAsync(StripeWebhookWork work, CancellationToken ct)
    {
        var events = await store.ReadStreamAsync(work.TenantId, StripeWebhookStreams.StreamId(work.StripeEventId), new StreamReadOptions(1, 1), ct);
        return events is [{ Data: StripeWebhookReceived received }]
            ? received
            : throw new InvalidOperationException($"Stripe event {work.StripeEventId} has no recorded stripe.webhook_received.v1 on tenant {work.TenantId}.");
    }

    private static NpgsqlBatchCommand MarkCommand(StripeWebhookProcessed processed, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(MarkSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = processed.StripeEventId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = processed.Outcome });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = processed.Detail });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return command;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook processing started {StripeEventId} {EventType} tenant={TenantId}")]
    private static partial void LogStarted(ILogger logger, string stripeEventId, string eventType, string tenantId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook event ignored {StripeEventId} {EventType}: {Reason}")]
    private static partial void LogIgnored(ILogger logger, string stripeEventId, string eventType, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook processing completed {StripeEventId} {EventType} outcome={Outcome}: {Detail}")]
    private static partial void LogCompleted(ILogger logger, string stripeEventId, string eventType, string outcome, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook processing skipped (already processed) {StripeEventId}")]
    private static partial void LogSkipped(ILogger logger, string stripeEventId);
}
