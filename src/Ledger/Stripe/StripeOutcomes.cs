namespace Billing.Ledger.Stripe;

/// <summary>The result of a charge attempt. A decline is a normal result the collection flow
/// decides on, not an exception.</summary>
public abstract record ChargeOutcome
{
    private ChargeOutcome()
    {
    }

    public sealed record Succeeded(StripePaymentIntent PaymentIntent) : ChargeOutcome;

    public sealed record Declined(CardDecline Decline) : ChargeOutcome;
}

/// <summary>Why the card was declined. <see cref="Retryable"/>: trying the same card again later
/// may succeed (a processor hiccup), as opposed to a decision only the customer can change.</summary>
public sealed record CardDecline(string Code, string? DeclineCode, string Message, bool Retryable, string? PaymentIntentId, string? ChargeId)
{
    private static readonly HashSet<string> RetryableCodes = new(StringComparer.Ordinal)
    {
        "processing_error", "try_again_later", "issuer_not_available", "reenter_transaction", "lock_timeout",
    };

    internal static CardDecline From(StripeError error) => new(
        error.Code ?? "card_declined",
        error.DeclineCode,
        StripeSecrets.MaskIn(error.Message ?? "The card was declined."),
        RetryableCodes.Contains(error.Code ?? "") || RetryableCodes.Contains(error.DeclineCode ?? ""),
        error.PaymentIntent?.Id,
        error.Charge ?? error.PaymentIntent?.LatestCharge);
}

/// <summary>Stripe answered with an error that is not a card decline (bad request, auth, rate
/// limit after retries, 5xx after retries). The message never carries a secret.</summary>
public sealed class StripeApiException(int statusCode, StripeError? error, string? requestId)
    : Exception(StripeSecrets.MaskIn($"Stripe returned HTTP {statusCode} {error?.Type}/{error?.Code}: {error?.Message} (request {requestId ?? "?"})"))
{
    public int StatusCode { get; } = statusCode;

    public string? ErrorType { get; } = error?.Type;

    public string? Code { get; } = error?.Code;

    public string? RequestId { get; } = requestId;
}

/// <summary>Stripe could not be reached (connection errors, timeouts) after every retry.
/// Safe to retry later with the same idempotency key.</summary>
public sealed class StripeUnavailableException(string message, Exception inner) : Exception(StripeSecrets.MaskIn(message), inner);
