using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Webhooks;

public sealed partial class StripeWebhookInbox
{
    // The receipts of a batch, set-wise. A receipt already committed, or inserted by a concurrent
    // transaction that then commits, is skipped (ON CONFLICT waits for that transaction), exactly
    // as the append of its event is a duplicate then. Rows are inserted in event-id order, after
    // the appends (which take their stream rows in the same order): two batches sharing events
    // meet first on a stream row, and the later waits there for the earlier's commit, so they
    // cannot deadlock.
    private const string InsertReceiptsSql = """
        INSERT INTO ledger.stripe_webhook_receipts
            (stripe_event_id, type, tenant_id, stream_id, matched, livemode, object_id, stripe_created_at, received_at)
        SELECT r.id, r.type, r.tenant_id, r.stream_id, r.matched, r.livemode, r.object_id, r.created, $9
          FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::boolean[], $7::text[], $8::timestamptz[])
               AS r(id, type, tenant_id, stream_id, matched, livemode, object_id, created)
        ON CONFLICT (stripe_event_id) DO NOTHING
        """;

    private static NpgsqlBatchCommand ReceiptsCommand(List<Delivery> ordered, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(InsertReceiptsSql);
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
        return command;
    }

    private static NpgsqlParameter<string?[]> TextArray(IEnumerable<string?> values) =>
        new() { TypedValue = [.. values], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
