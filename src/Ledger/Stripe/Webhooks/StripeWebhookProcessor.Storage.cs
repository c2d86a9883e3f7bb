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

    private const string MarkSql = "SELECT ledger.mark_stripe_webhooks_processed($1, $2, $3, $4)";
    private const string LinkSql = "SELECT ledger.link_stripe_objects($1, $2, $3, $4)";

    private async Task<StripeWebhookReceived> ReadReceivedAsync(StripeWebhookWork work, CancellationToken ct) =>
        (await ReadReceivedAsync([work], ct)).TryGetValue(work.StripeEventId, out var received) ? received : throw NotRecorded(work);

    /// <summary>The received events of a batch, in one query, by their deterministic event ids;
    /// an event missing (or recorded for another tenant) is absent from the answer.</summary>
    private async Task<Dictionary<string, StripeWebhookReceived>> ReadReceivedAsync(IReadOnlyList<StripeWebhookWork> works, CancellationToken ct)
    {
        var wanted = works.ToDictionary(w => StripeWebhookStreams.ReceivedEventId(w.StripeEventId));
        var found = new Dictionary<string, StripeWebhookReceived>(StringComparer.Ordinal);
        foreach (var e in await store.ReadEventsAsync(wanted.Keys, ct))
        {
            if (e.Data is StripeWebhookReceived received && wanted.TryGetValue(e.EventId, out var work)
                && e.TenantId == work.TenantId && e.StreamId == StripeWebhookStreams.StreamId(work.StripeEventId))
            {
                found[work.StripeEventId] = received;
            }
        }

        return found;
    }

    private static InvalidOperationException NotRecorded(StripeWebhookWork work) =>
        new($"Stripe event {work.StripeEventId} has no recorded stripe.webhook_received.v1 on tenant {work.TenantId}.");

    /// <summary>Adds the receipts' processed_at and outcome (one statement, failing with LW001
    /// when any was processed already) and the objects to link (one statement, failing with
    /// LW002 when another tenant owns one) for the decided events.</summary>
    private void AddRecords(UnitOfWork uow, IReadOnlyList<(StripeWebhookContext Context, StripeWebhookProcessed Processed)> decided)
    {
        var now = time.GetUtcNow();
        var mark = new NpgsqlBatchCommand(MarkSql);
        mark.Parameters.Add(TextArray(decided.Select(d => d.Processed.StripeEventId)));
        mark.Parameters.Add(TextArray(decided.Select(d => d.Processed.Outcome)));
        mark.Parameters.Add(TextArray(decided.Select(d => d.Processed.Detail)));
        mark.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        uow.AddCommand(mark);

        var links = decided.SelectMany(d => d.Context.NewLinks.Select(l => (l.StripeId, d.Context.TenantId, l.Kind))).ToList();
        if (links.Count == 0)
        {
            return;
        }

        var link = new NpgsqlBatchCommand(LinkSql);
        link.Parameters.Add(TextArray(links.Select(l => l.StripeId)));
        link.Parameters.Add(TextArray(links.Select(l => l.TenantId)));
        link.Parameters.Add(TextArray(links.Select(l => l.Kind)));
        link.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        uow.AddCommand(link);
    }

    private static NpgsqlParameter<string[]> TextArray(IEnumerable<string> values) =>
        new() { TypedValue = [.. values], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook processing started {StripeEventId} {EventType} tenant={TenantId}")]
    private static partial void LogStarted(ILogger logger, string stripeEventId, string eventType, string tenantId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook event ignored {StripeEventId} {EventType}: {Reason}")]
    private static partial void LogIgnored(ILogger logger, string stripeEventId, string eventType, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook processing completed {StripeEventId} {EventType} outcome={Outcome}: {Detail}")]
    private static partial void LogCompleted(ILogger logger, string stripeEventId, string eventType, string outcome, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook processing skipped (already processed) {StripeEventId}")]
    private static partial void LogSkipped(ILogger logger, string stripeEventId);
}
