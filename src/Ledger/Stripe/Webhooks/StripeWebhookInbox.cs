using Billing.Ledger.EventStore;
using Billing.Ledger.Observability;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>The outcome of recording one verified delivery.</summary>
public sealed record StripeWebhookReceipt(string StripeEventId, string Type, string TenantId, bool Matched, bool Duplicate);

/// <summary>Records verified Stripe events durably and exactly once: the received event, the
/// receipt row (unique on the Stripe event id) and the processing job commit in one
/// transaction. A duplicate delivery, however many arrive at once, loses on the receipt's
/// primary key, rolls back and is acknowledged as a duplicate.</summary>
public sealed partial class StripeWebhookInbox(
    EventStore.EventStore store,
    StripeTenantResolver resolver,
    IStripeWebhookQueue queue,
    TimeProvider time,
    ILogger<StripeWebhookInbox> logger,
    BillingMetrics? metrics = null)
{
    private const string ExistsSql = "SELECT EXISTS (SELECT 1 FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1)";

    private const string InsertReceiptSql = """
        INSERT INTO ledger.stripe_webhook_receipts
            (stripe_event_id, type, tenant_id, stream_id, matched, livemode, object_id, stripe_created_at, received_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """;

    /// <summary>Records the event (already signature-verified) unless it was recorded before.</summary>
    public async Task<StripeWebhookReceipt> AcceptAsync(ReadOnlyMemory<byte> body, EventMetadata metadata, CancellationToken ct)
    {
        // The pre-check answers a redelivery without a failed transaction (and without a unique
        // violation ERROR in the server log per duplicate); the primary key remains the guard
        // for concurrent copies.
        var e = StripeWebhookEnvelope.Parse(body);
        if (await ExistsAsync(e.Id, ct))
        {
            return Duplicate(e, null);
        }

        var tenant = await resolver.ResolveAsync(e, ct);
        var uow = store.BeginUnitOfWork(metadata with { CausationId = metadata.CausationId ?? e.Id });
        var received = new StripeWebhookReceived(e.Id, e.Type, e.ObjectType, e.ObjectId, e.Livemode, e.Created, tenant.Matched, tenant.ResolvedBy, e.Payload);
        var streamId = StripeWebhookStreams.StreamId(e.Id);
        uow.Append(tenant.TenantId, streamId, StripeWebhookStreams.StreamType, ExpectedVersion.NoStream, [new NewEvent(StripeWebhookStreams.ReceivedEventId(e.Id), received)]);
        uow.AddCommand(ReceiptCommand(e, tenant, streamId, time.GetUtcNow()));
        queue.Enqueue(uow, new StripeWebhookWork(e.Id, tenant.TenantId));
        try
        {
            await uow.CommitAsync(ct);
        }
        catch (Exception ex) when (IsDuplicate(ex))
        {
            return Duplicate(e, tenant.TenantId);
        }

        metrics?.WebhookReceived(e.Type, "accepted");
        LogAccepted(logger, e.Id, e.Type, tenant.TenantId, tenant.ResolvedBy);
        return new StripeWebhookReceipt(e.Id, e.Type, tenant.TenantId, tenant.Matched, Duplicate: false);
    }

    private StripeWebhookReceipt Duplicate(StripeWebhookEnvelope e, string? tenantId)
    {
        metrics?.WebhookReceived(e.Type, "duplicate");
        LogDuplicate(logger, e.Id, e.Type);
        return new StripeWebhookReceipt(e.Id, e.Type, tenantId ?? "", false, Duplicate: true);
    }

    /// <summary>A concurrent copy either hits the receipt's primary key or, having waited on the
    /// stream created by the winner, finds the stream no longer new. Both mean "recorded already".</summary>
    private static bool IsDuplicate(Exception ex) =>
        ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "stripe_webhook_receipts_pkey" }
        || ex is WrongExpectedVersionException { ActualVersion: > 0 };

    private async Task<bool> ExistsAsync(string stripeEventId, CancellationToken ct)
    {
        await using var command = store.DataSource.CreateCommand(ExistsSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stripeEventId });
        return await command.ExecuteScalarAsync(ct) is true;
    }

    private static NpgsqlBatchCommand ReceiptCommand(StripeWebhookEnvelope e, TenantResolution tenant, string streamId, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(InsertReceiptSql);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = e.Id });
        p.Add(new NpgsqlParameter<string> { TypedValue = e.Type });
        p.Add(new NpgsqlParameter<string> { TypedValue = tenant.TenantId });
        p.Add(new NpgsqlParameter<string> { TypedValue = streamId });
        p.Add(new NpgsqlParameter<bool> { TypedValue = tenant.Matched });
        p.Add(new NpgsqlParameter<bool> { TypedValue = e.Livemode });
        p.Add(new NpgsqlParameter { Value = (object?)e.ObjectId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = e.Created, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return command;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook accepted and queued {StripeEventId} {EventType} tenant={TenantId} resolved_by={ResolvedBy}")]
    private static partial void LogAccepted(ILogger logger, string stripeEventId, string eventType, string tenantId, string resolvedBy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook duplicate ignored {StripeEventId} {EventType}")]
    private static partial void LogDuplicate(ILogger logger, string stripeEventId, string eventType);
}
