using Billing.Ledger.EventStore;

namespace Billing.Ledger.Collection;

/// <summary>One charge attempt, recorded (at an exact version of the payment stream) BEFORE
/// Stripe is called. An attempt with no outcome is open: at most one per invoice, and a re-run
/// re-sends it with the same <see cref="IdempotencyKey"/> instead of starting another.</summary>
[EventType("payment.attempted.v1")]
public sealed record PaymentAttempted(
    string InvoiceId,
    int Attempt,
    long AmountMinor,
    string Currency,
    string StripeCustomerId,
    string PaymentMethod,
    string IdempotencyKey,
    DateTimeOffset At);

/// <summary>The invoice was paid; <see cref="RecordedFrom"/> is <c>collection</c> (the API's
/// answer) or <c>webhook</c> (a <c>payment_intent.succeeded</c> that arrived first).</summary>
[EventType("payment.succeeded.v1")]
public sealed record PaymentSucceeded(
    string InvoiceId,
    int Attempt,
    long AmountMinor,
    string Currency,
    string PaymentIntentId,
    string? ChargeId,
    string RecordedFrom,
    DateTimeOffset At);

/// <summary>Stripe declined the attempt (a definitive answer: nothing was charged). Closes the attempt.</summary>
[EventType("payment.failed.v1")]
public sealed record PaymentFailed(
    string InvoiceId,
    int Attempt,
    string Code,
    string? DeclineCode,
    string Message,
    bool Retryable,
    string? PaymentIntentId,
    DateTimeOffset At);

/// <summary>Stripe gave no definitive answer (unreachable, timeouts, 5xx after the client's own
/// retries). The attempt stays OPEN: whether it charged is unknown, so the next run re-sends it
/// with the same idempotency key and Stripe replays the first result if there was one.</summary>
[EventType("payment.interrupted.v1")]
public sealed record PaymentInterrupted(string InvoiceId, int Attempt, string Error, DateTimeOffset At);

/// <summary>Automatic collection gave up (non-retryable decline, retries exhausted, no payment
/// method): the hand-over to dunning.</summary>
[EventType("payment.collection_stopped.v1")]
public sealed record PaymentCollectionStopped(string InvoiceId, int Attempts, string Code, string Reason, DateTimeOffset At);

/// <summary>A refund made through <c>POST /v1/invoices/{id}/refunds</c>: <see cref="RefundId"/> is
/// ours (from the request's Idempotency-Key), <see cref="StripeRefundId"/> Stripe's. Appended with
/// the invoicing stream's <c>invoice.refunded.v1</c> in one unit of work; a replayed request
/// finds it here and answers the same refund instead of refunding again.</summary>
[EventType("payment.refunded.v1")]
public sealed record PaymentRefunded(string InvoiceId, string RefundId, string StripeRefundId, long AmountMinor, string Currency, string Reason, DateTimeOffset At);

/// <summary>The customer disputed the invoice's charge at their bank (<c>charge.dispute.created</c>).</summary>
[EventType("invoice.disputed.v1")]
public sealed record InvoiceDisputed(
    string InvoiceId,
    string DisputeId,
    string? ChargeId,
    string? PaymentIntentId,
    long AmountMinor,
    string Currency,
    string Reason,
    string Status,
    DateTimeOffset At);

public static class PaymentStreams
{
    public const string Type = "payment";

    public static string IdOf(string invoiceId) => "payment-" + invoiceId;
}
