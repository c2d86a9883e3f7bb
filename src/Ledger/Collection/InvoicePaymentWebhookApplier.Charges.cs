using System.Text.Json;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Stripe.Webhooks;

namespace Billing.Ledger.Collection;

public sealed partial class InvoicePaymentWebhookApplier
{
    /// <summary>Records refunds made outside our endpoint (Stripe's dashboard). The charge's
    /// cumulative <c>amount_refunded</c> is the truth: refunds listed on the charge are recorded
    /// by their Stripe id when not recorded yet; without a list, the part of amount_refunded the
    /// invoice does not reflect yet is recorded once, under this event's id.</summary>
    private async Task<WebhookApplication?> ChargeRefundedAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct)
    {
        var chargeId = context.ObjectText("id");
        var invoiceId = await InvoiceOfAsync(context, context.ObjectText("payment_intent"), chargeId, ct);
        var loaded = invoiceId is null ? null : await LoadAsync(context, invoiceId, ct);
        if (loaded?.Invoice is not { } invoice)
        {
            return Flagged($"charge {chargeId} belongs to no invoice of tenant {context.TenantId}");
        }

        var recorded = loaded.InvoiceEvents.Select(e => e.Data).OfType<InvoiceRefunded>().Select(r => r.RefundId).ToHashSet(StringComparer.Ordinal);
        var missing = RefundsListed(context.Object).Where(r => !recorded.Contains(r.Id)).ToList();
        if (missing.Count == 0 && !HasRefundList(context.Object))
        {
            var gap = Long(context.Object, "amount_refunded") - invoice.RefundedMinor;
            missing = gap > 0 ? [(OurRefundId(context, invoiceId!) ?? context.StripeEventId, gap)] : [];
        }

        if (missing.Count == 0)
        {
            return new WebhookApplication(WebhookOutcome.Ignored, $"refunds of charge {chargeId} are already recorded on invoice {invoiceId}");
        }

        var state = invoice;
        var events = new List<object>();
        foreach (var (id, amount) in missing)
        {
            var decided = InvoiceDecider.Decide(new RefundInvoice(id, amount, clock.GetUtcNow(), Actor, "refund issued in Stripe (" + id + ")"), state);
            events.AddRange(decided);
            state = decided.Aggregate<object, InvoiceState?>(state, InvoiceDecider.Evolve)!;
        }

        uow.Append(context.TenantId, InvoiceStreams.IdOf(invoiceId!), InvoiceStreams.Type, ExpectedVersion.Exact(loaded.InvoiceVersion), events.Select(NewEvent.For));
        return Applied($"recorded {missing.Count} refund(s) of charge {chargeId} on invoice {invoiceId}");
    }

    private async Task<WebhookApplication?> DisputeCreatedAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct)
    {
        var disputeId = context.ObjectText("id")!;
        var chargeId = context.ObjectText("charge");
        var intentId = context.ObjectText("payment_intent");
        var invoiceId = await InvoiceOfAsync(context, intentId, chargeId, ct);
        var loaded = invoiceId is null ? null : await LoadAsync(context, invoiceId, ct);
        if (loaded?.Invoice is null)
        {
            return Flagged($"dispute {disputeId} is on charge {chargeId}, which pays no invoice of tenant {context.TenantId}");
        }

        if (loaded.Payment.Disputes.Contains(disputeId))
        {
            return new WebhookApplication(WebhookOutcome.Ignored, $"dispute {disputeId} is already recorded on invoice {invoiceId}");
        }

        var disputed = new InvoiceDisputed(invoiceId!, disputeId, chargeId, intentId, Long(context.Object, "amount"),
            context.ObjectText("currency")?.ToUpperInvariant() ?? loaded.Invoice.Draft.Currency, context.ObjectText("reason") ?? "unknown",
            context.ObjectText("status") ?? "needs_response", clock.GetUtcNow());
        uow.Append(context.TenantId, PaymentStreams.IdOf(invoiceId!), PaymentStreams.Type, ExpectedVersion.Exact(loaded.Payment.Version), NewEvent.For(disputed));
        return Applied($"invoice {invoiceId} disputed ({disputeId})");
    }

    /// <summary>Our refund id when the refund was made by our endpoint: the event's
    /// <c>request.idempotency_key</c> is <c>refund:{invoiceId}:{refundId}</c>. Recording under it
    /// lets the endpoint see the refund is already on the invoice, whichever commits first.</summary>
    private static string? OurRefundId(StripeWebhookContext context, string invoiceId)
    {
        var prefix = "refund:" + invoiceId + ":";
        return context.Received.Payload.TryGetProperty("request", out var request) && request.ValueKind == JsonValueKind.Object
            && request.TryGetProperty("idempotency_key", out var key) && key.ValueKind == JsonValueKind.String
            && key.GetString() is { } text && text.StartsWith(prefix, StringComparison.Ordinal)
            ? text[prefix.Length..]
            : null;
    }

    private static bool HasRefundList(JsonElement charge) =>
        charge.TryGetProperty("refunds", out var r) && r.ValueKind == JsonValueKind.Object && r.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Array;

    private static IEnumerable<(string Id, long Amount)> RefundsListed(JsonElement charge)
    {
        if (!HasRefundList(charge))
        {
            yield break;
        }

        foreach (var refund in charge.GetProperty("refunds").GetProperty("data").EnumerateArray())
        {
            if (refund.TryGetProperty("id", out var id) && id.GetString() is { } refundId)
            {
                yield return (refundId, Long(refund, "amount"));
            }
        }
    }
}
