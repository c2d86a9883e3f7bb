using Billing.Ledger.EventStore;
using Npgsql;

namespace Billing.Ledger.Stripe.Webhooks;

public sealed partial class StripeWebhookProcessor
{
    private const string PendingSql = """
        SELECT stripe_event_id, tenant_id FROM ledger.stripe_webhook_receipts
         WHERE processed_at IS NULL
         ORDER BY received_at, stripe_event_id
         LIMIT $1
        """;

    /// <summary>Processes recorded events that have not been processed yet, oldest first (the
    /// operator's backlog drain: <c>billing stripe webhooks process-pending</c>). Each event
    /// commits on its own; one that fails is reported and left pending.</summary>
    public async Task<PendingRun> ProcessPendingAsync(int limit, CancellationToken ct)
    {
        var pending = new List<StripeWebhookWork>();
        await using (var command = store.DataSource.CreateCommand(PendingSql))
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                pending.Add(new StripeWebhookWork(reader.GetString(0), reader.GetString(1)));
            }
        }

        var processed = 0;
        var failed = new List<(string, string)>();
        foreach (var work in pending)
        {
            try
            {
                processed += await ProcessAsync(work, new EventMetadata(null, work.StripeEventId, "stripe-webhook-sweep"), (uow, token) => uow.CommitAsync(token), ct) is null ? 0 : 1;
            }
            catch (Exception ex) when (ex is NpgsqlException or EventStoreException or InvalidOperationException)
            {
                failed.Add((work.StripeEventId, ex.Message));
            }
        }

        return new PendingRun(pending.Count, processed, failed);
    }
}

/// <summary>A backlog drain: how many were pending, processed now, and which failed why.</summary>
public sealed record PendingRun(int Pending, int Processed, IReadOnlyList<(string StripeEventId, string Error)> Failed);
