using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Webhooks;

public sealed partial class StripeWebhookInbox
{
    // Set-wise dedupe: a receipt already committed, or inserted by a concurrent transaction that
    // then commits, is skipped (ON CONFLICT waits for that transaction), so the rows returned are
    // exactly the events this transaction records. Rows are inserted in event-id order: two
    // batches sharing events lock their receipts in the same order and cannot deadlock.
    private const string InsertReceiptsSql = """
        INSERT INTO ledger.stripe_webhook_receipts
            (stripe_event_id, type, tenant_id, stream_id, matched, livemode, object_id, stripe_created_at, received_at)
        SELECT r.id, r.type, r.tenant_id, r.stream_id, r.matched, r.livemode, r.object_id, r.created, $9
          FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::boolean[], $7::text[], $8::timestamptz[])
               AS r(id, type, tenant_id, stream_id, matched, livemode, object_id, created)
        ON CONFLICT (stripe_event_id) DO NOTHING
        RETURNING stripe_event_id
        """;

    private static async Task<HashSet<string>> InsertReceiptsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<Delivery> ordered, DateTimeOffset now)
    {
        await using var command = new NpgsqlCommand(InsertReceiptsSql, connection, transaction);
        var p = command.Parameters;
        p.Add(TextArray(ordered.Select(d => d.Envelope.Id)));
        p.Add(TextArray(ordered.Select(d => d.Envelope.Type)));
        p.Add(TextArray(ordered.Select(d => d.Tenant.TenantId)));
        p.Add(TextArray(ordered.Select(d => StripeWebhookStreams.StreamId(d.Envelope.Id))));
        p.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. ordered.Select(d => d.Tenant.Matched)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean });
        p.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. ordered.Select(d => d.Envelope.Livemode)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean });
        p.Add(TextArray(ordered.Select(d => d.Envelope.ObjectId)));
        p.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. ordered.Select(d => d.Envelope.Created)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        var fresh = new HashSet<string>(ordered.Count, StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
        while (await reader.ReadAsync(CancellationToken.None))
        {
            fresh.Add(reader.GetString(0));
        }

        return fresh;
    }

    private static NpgsqlParameter<string?[]> TextArray(IEnumerable<string?> values) =>
        new() { TypedValue = [.. values], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
