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

        var loaded = await ledger.LoadAsync(context.TenantId, invoiceId, ct);
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
        var invoice = invoiceId is null ? null : await ledger.LoadInvoiceAsync(context.TenantId, invoiceId, ct);
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
