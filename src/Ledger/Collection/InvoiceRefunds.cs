using System.Security.Cryptography;
using System.Text;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Stripe;
using Npgsql;

namespace Billing.Ledger.Collection;

/// <summary>Refunds a paid invoice through Stripe and records the result on the invoice (the
/// invoicing decider's <c>RefundInvoice</c>) and the payment stream in one unit of work. Every
/// check runs before Stripe is called, so a rejected request records nothing and moves no money;
/// the Stripe call carries <see cref="IdempotencyKeys.Refund"/> of our refund id, so a retried
/// request refunds once.</summary>
public sealed class InvoiceRefunds(CollectionLedger ledger, StripeClient stripe, TimeProvider clock)
{
    private const string TenantOfSql = "SELECT tenant_id FROM rm.invoices WHERE invoice_id = $1";

    /// <summary>Our refund id: derived from the client's Idempotency-Key (the same key always
    /// names the same refund of the same invoice), or new when the client sent none.</summary>
    public static string RefundIdFor(string invoiceId, string? idempotencyKey) => idempotencyKey is { Length: > 0 }
        ? "rf_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(invoiceId + "\n" + idempotencyKey)))[..24]
        : "rf_" + Guid.CreateVersion7().ToString("N")[..24];

    public async Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken ct)
    {
        var tenantId = await TenantOfAsync(request.InvoiceId, ct) ?? throw new RefundRejected(404, "not_found", $"Invoice '{request.InvoiceId}' was not found.");
        var loaded = await ledger.LoadAsync(tenantId, request.InvoiceId, ct);
        var reason = ReasonText(request.Reason);
        if (loaded.Payment.Refunds.TryGetValue(request.RefundId, out var done))
        {
            return request.AmountMinor is { } a && a != done.AmountMinor || done.Reason != reason
                ? throw new RefundRejected(409, "idempotency_key_reused", "This Idempotency-Key was used for a different refund of this invoice.")
                : Result(loaded.Invoice!, done, replayed: true);
        }

        var (invoice, paid) = Refundable(loaded);
        var refundable = invoice.PaidMinor - invoice.RefundedMinor;
        var amount = request.AmountMinor ?? refundable;
        if (amount > refundable)
        {
            throw new RefundRejected(400, "amount_too_large", $"At most {refundable} can still be refunded on this invoice; {amount} was asked.");
        }

        var refund = await CallStripeAsync(request, tenantId, paid.PaymentIntentId, amount, ct);
        var recorded = new PaymentRefunded(request.InvoiceId, request.RefundId, refund.Id, refund.Amount, invoice.Draft.Currency, reason, clock.GetUtcNow());
        for (var tries = 1; ; tries++)
        {
            try
            {
                return await RecordAsync(request, loaded, recorded, ct);
            }
            catch (WrongExpectedVersionException) when (tries < 3)
            {
                // Money has moved: the refund must be recorded. A concurrent writer (typically
                // the charge.refunded webhook) changed a stream; decide again on fresh state.
                loaded = await ledger.LoadAsync(tenantId, request.InvoiceId, ct);
            }
        }
    }

    /// <summary>Appends <c>invoice.refunded</c> (unless the invoice already has it: the
    /// charge.refunded webhook records a refund we made under our refund id, taken from the
    /// event's idempotency key) and <c>payment.refunded</c>, at exact versions.</summary>
    private async Task<RefundResult> RecordAsync(RefundRequest request, InvoicePayment loaded, PaymentRefunded recorded, CancellationToken ct)
    {
        var invoice = loaded.Invoice!;
        var reflected = loaded.InvoiceEvents.Select(e => e.Data).OfType<InvoiceRefunded>().Any(r => r.RefundId == recorded.StripeRefundId || r.RefundId == recorded.RefundId);
        var uow = ledger.Store.BeginUnitOfWork(new EventMetadata(Actor: request.Actor));
        var events = reflected ? [] : InvoiceDecider.Decide(new RefundInvoice(recorded.StripeRefundId, recorded.AmountMinor, recorded.At, request.Actor, recorded.Reason), invoice);
        if (events.Count > 0)
        {
            uow.Append(loaded.TenantId, InvoiceStreams.IdOf(request.InvoiceId), InvoiceStreams.Type, ExpectedVersion.Exact(loaded.InvoiceVersion), events.Select(NewEvent.For));
        }

        uow.Append(loaded.TenantId, PaymentStreams.IdOf(request.InvoiceId), PaymentStreams.Type, ExpectedVersion.Exact(loaded.Payment.Version), NewEvent.For(recorded));
        await uow.CommitAsync(ct);
        return Result(events.Aggregate<object, InvoiceState?>(invoice, InvoiceDecider.Evolve)!, recorded, replayed: false);
    }

    private static (InvoiceState Invoice, PaymentSucceeded Paid) Refundable(InvoicePayment loaded)
    {
        if (loaded.Invoice is not { Status: InvoiceStatuses.Paid or InvoiceStatuses.PartiallyRefunded } invoice)
        {
            throw new RefundRejected(409, "invoice_not_paid", $"Invoice '{loaded.InvoiceId}' is {loaded.Invoice?.Status}; only a paid invoice can be refunded.");
        }

        return loaded.Payment.Succeeded is { } paid
            ? (invoice, paid)
            : throw new RefundRejected(409, "no_card_payment", $"Invoice '{loaded.InvoiceId}' was not paid through Stripe; refund it where it was paid.");
    }

    private async Task<StripeRefund> CallStripeAsync(RefundRequest request, string tenantId, string paymentIntentId, long amount, CancellationToken ct)
    {
        var metadata = new Dictionary<string, string> { ["tenant_id"] = tenantId, ["invoice_id"] = request.InvoiceId, ["refund_id"] = request.RefundId };
        try
        {
            return await stripe.CreateRefundAsync(new RefundCreate(paymentIntentId, null, amount, request.Reason, metadata), IdempotencyKeys.Refund(request.InvoiceId, request.RefundId), ct);
        }
        catch (StripeApiException ex) when (ex.StatusCode is >= 400 and < 500 and not 409 and not 429)
        {
            throw new RefundRejected(ex.ErrorType == "idempotency_error" ? 409 : 400, ex.Code ?? ex.ErrorType ?? "stripe_rejected", ex.Message);
        }
        catch (Exception ex) when (ex is StripeUnavailableException or StripeApiException)
        {
            throw new RefundRejected(503, "stripe_unavailable", "Stripe did not answer; nothing was recorded. Retry with the same Idempotency-Key: it refunds at most once.");
        }
    }

    private async Task<string?> TenantOfAsync(string invoiceId, CancellationToken ct)
    {
        await using var command = ledger.Store.DataSource.CreateCommand(TenantOfSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = invoiceId });
        return await command.ExecuteScalarAsync(ct) as string;
    }

    public static string ReasonText(RefundReason reason) => reason switch
    {
        RefundReason.Duplicate => "duplicate",
        RefundReason.Fraudulent => "fraudulent",
        _ => "requested_by_customer",
    };

    private static RefundResult Result(InvoiceState invoice, PaymentRefunded r, bool replayed) =>
        new(r.InvoiceId, r.RefundId, r.StripeRefundId, r.AmountMinor, r.Currency, r.Reason, invoice.Status, invoice.RefundedMinor, replayed);
}
