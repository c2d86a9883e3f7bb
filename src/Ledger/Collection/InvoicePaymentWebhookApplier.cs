using System.Text.Json;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Stripe.Webhooks;
using Npgsql;

namespace Billing.Ledger.Collection;

/// <summary>The invoice side of Stripe's webhooks. Every decision is taken from the streams'
/// current state, never from arrival order: a success for an invoice already paid is ignored, a
/// failure never reopens a paid invoice, a refund or dispute already recorded is not recorded
/// again. Effects go into the processor's unit of work at exact versions, so they commit once
/// with the "processed" marker.</summary>
public sealed partial class InvoicePaymentWebhookApplier(CollectionLedger ledger, TimeProvider clock) : IStripeWebhookApplier
{
    public const string Actor = "system:stripe-webhook";

    private const string InvoiceByObjectSql = """
        SELECT invoice_id FROM rm.invoice_payments
         WHERE tenant_id = $1 AND (payment_intent_id = $2 OR charge_id = $3)
        """;

    public Task<WebhookApplication?> ApplyAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct) => context.Type switch
    {
        "payment_intent.succeeded" => PaymentSucceededAsync(context, uow, ct),
        "payment_intent.payment_failed" => PaymentFailedAsync(context, ct),
        "charge.refunded" => ChargeRefundedAsync(context, uow, ct),
        "charge.dispute.created" => DisputeCreatedAsync(context, uow, ct),
        "invoice.created" or "invoice.paid" or "invoice.payment_failed" =>
            Ignored("we bill from our own invoices; Stripe invoices are not the ledger's"),
        "customer.subscription.updated" or "customer.subscription.deleted" =>
            Ignored("subscriptions and plans are managed in the ledger, not in Stripe"),
        "checkout.session.completed" => Ignored("checkout is not used; payment methods are set on the tenant profile"),
        _ => Task.FromResult<WebhookApplication?>(null),
    };

    private static readonly HashSet<string> InvoiceTypes = new(StringComparer.Ordinal)
    {
        "payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded", "charge.dispute.created",
    };

    /// <summary>Loads, in one query, every invoice the batch's events name in their metadata.</summary>
    public async Task PrefetchAsync(IReadOnlyList<StripeWebhookContext> batch, CancellationToken ct)
    {
        var wanted = batch.Where(c => InvoiceTypes.Contains(c.Type) && c.MetadataValue("invoice_id") is not null)
            .Select(c => (c.TenantId, c.MetadataValue("invoice_id")!)).ToList();
        if (wanted.Count == 0)
        {
            return;
        }

        foreach (var loaded in await ledger.LoadManyAsync(wanted, ct))
        {
            batch[0].Lookups.Put(LookupKey(loaded.TenantId, loaded.InvoiceId), loaded);
        }
    }

    private static string LookupKey(string tenantId, string invoiceId) => $"invoice:{tenantId}:{invoiceId}";

    /// <summary>The invoice as read ahead for the batch, else from its streams now.</summary>
    private async Task<InvoicePayment> LoadAsync(StripeWebhookContext context, string invoiceId, CancellationToken ct) =>
        context.Lookups.Find<InvoicePayment>(LookupKey(context.TenantId, invoiceId)) ?? await ledger.LoadAsync(context.TenantId, invoiceId, ct);

    private static Task<WebhookApplication?> Ignored(string why) =>
        Task.FromResult<WebhookApplication?>(new WebhookApplication(WebhookOutcome.Ignored, why));

    private static WebhookApplication Applied(string what) => new(WebhookOutcome.Applied, what);

    private static WebhookApplication Flagged(string why) => new(WebhookOutcome.Flagged, why);

    private async Task<WebhookApplication?> PaymentSucceededAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct)
    {
        var invoiceId = context.MetadataValue("invoice_id");
        if (invoiceId is null)
        {
            return Flagged($"payment intent {context.ObjectText("id")} carries no invoice_id metadata");
        }

        var loaded = await LoadAsync(context, invoiceId, ct);
        var intentId = context.ObjectText("id")!;
        if (loaded.Invoice is null)
        {
            return Flagged($"invoice {invoiceId} of tenant {context.TenantId} does not exist");
        }

        if (loaded.Payment.Succeeded is not null || loaded.Invoice.Status is not (InvoiceStatuses.Open or InvoiceStatuses.Uncollectible))
        {
            return loaded.Payment.Succeeded is { } s && s.PaymentIntentId != intentId
                ? Flagged($"invoice {invoiceId} was already paid by {s.PaymentIntentId}; {intentId} is a second payment")
                : new WebhookApplication(WebhookOutcome.Ignored, $"invoice {invoiceId} already paid ({loaded.Invoice.Status})");
        }

        var amount = Long(context.Object, "amount");
        if (amount != loaded.Invoice.AmountDueMinor)
        {
            return Flagged($"payment intent {intentId} is for {amount}, invoice {invoiceId} has {loaded.Invoice.AmountDueMinor} due");
        }

        var attempt = int.TryParse(context.MetadataValue("attempt"), out var n) ? n : loaded.Payment.Attempt;
        var succeeded = new PaymentSucceeded(invoiceId, attempt, amount, loaded.Invoice.Draft.Currency, intentId, context.ObjectText("latest_charge"), "webhook", clock.GetUtcNow());
        CollectionLedger.RecordPaid(uow, loaded, succeeded, Actor);
        return Applied($"invoice {invoiceId} paid by {intentId}");
    }

    private async Task<WebhookApplication?> PaymentFailedAsync(StripeWebhookContext context, CancellationToken ct)
    {
        var invoiceId = context.MetadataValue("invoice_id");
        var invoice = invoiceId is null ? null
            : context.Lookups.Find<InvoicePayment>(LookupKey(context.TenantId, invoiceId)) is { } read ? read.Invoice : await ledger.LoadInvoiceAsync(context.TenantId, invoiceId, ct);
        return invoice is { Status: not (InvoiceStatuses.Open or InvoiceStatuses.Uncollectible or InvoiceStatuses.Draft) }
            ? new WebhookApplication(WebhookOutcome.Ignored, $"invoice {invoiceId} is already {invoice.Status}; a late failure never reopens it")
            : new WebhookApplication(WebhookOutcome.Ignored, "declines are recorded by the collection job from Stripe's answer to the charge");
    }

    /// <summary>The invoice a charge or dispute belongs to: its metadata, else our payment record.</summary>
    private async Task<string?> InvoiceOfAsync(StripeWebhookContext context, string? paymentIntentId, string? chargeId, CancellationToken ct)
    {
        if (context.MetadataValue("invoice_id") is { } fromMetadata)
        {
            return fromMetadata;
        }

        await using var command = ledger.Store.DataSource.CreateCommand(InvoiceByObjectSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = context.TenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)paymentIntentId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)chargeId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return await command.ExecuteScalarAsync(ct) as string;
    }

    private static long Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : 0;
}
