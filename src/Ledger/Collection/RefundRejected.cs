namespace Billing.Ledger.Collection;

/// <summary>A refund request that was refused before anything was recorded; <see cref="Status"/>
/// is the HTTP status the endpoint answers with, <see cref="Code"/> a stable machine code.</summary>
public sealed class RefundRejected(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}

/// <summary>A refund to make: <see cref="AmountMinor"/> null refunds what is left.</summary>
public sealed record RefundRequest(string InvoiceId, long? AmountMinor, Stripe.RefundReason Reason, string RefundId, string Actor);

/// <summary>The refund as recorded; <see cref="Replayed"/> when the request had been made before.</summary>
public sealed record RefundResult(string InvoiceId, string RefundId, string StripeRefundId, long AmountMinor, string Currency, string Reason, string InvoiceStatus, long RefundedMinor, bool Replayed);
