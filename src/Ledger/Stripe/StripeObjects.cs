using System.Text.Json.Serialization;

namespace Billing.Ledger.Stripe;

// The subset of Stripe's objects the ledger reads. Property names map to Stripe's snake_case
// by the client's JSON options; unknown fields are ignored so new Stripe fields never break us.
// Amounts are minor units (long); times are unix seconds as Stripe sends them.

public sealed record StripeCustomer(string Id, string? Email, string? Name, long Created, IReadOnlyDictionary<string, string>? Metadata);

public sealed record StripePaymentIntent(
    string Id,
    long Amount,
    string Currency,
    string Status,
    string? Customer,
    string? PaymentMethod,
    string? LatestCharge,
    long Created,
    IReadOnlyDictionary<string, string>? Metadata,
    StripeError? LastPaymentError);

public sealed record StripeCharge(
    string Id,
    long Amount,
    long AmountRefunded,
    string Currency,
    string Status,
    bool Paid,
    bool Refunded,
    bool Disputed,
    string? Customer,
    string? PaymentIntent,
    string? BalanceTransaction,
    string? FailureCode,
    long Created,
    IReadOnlyDictionary<string, string>? Metadata);

public sealed record StripeRefund(
    string Id,
    long Amount,
    string Currency,
    string? Charge,
    string? PaymentIntent,
    string? Reason,
    string Status,
    long Created,
    IReadOnlyDictionary<string, string>? Metadata);

public sealed record StripeBalanceTransaction(
    string Id,
    long Amount,
    long Fee,
    long Net,
    string Currency,
    string Type,
    string? Source,
    string Status,
    string? ReportingCategory,
    long Created);

public sealed record StripeMeterEvent(string EventName, string Identifier, IReadOnlyDictionary<string, string> Payload, long Timestamp, long Created);

/// <summary>One page of a Stripe list, newest first.</summary>
public sealed record StripeList<T>(IReadOnlyList<T> Data, bool HasMore, string? Url);

/// <summary>Stripe's error object (<c>{"error": {...}}</c>).</summary>
public sealed record StripeError(
    string? Type,
    string? Code,
    string? DeclineCode,
    string? Message,
    string? Param,
    [property: JsonPropertyName("payment_intent")] StripePaymentIntent? PaymentIntent = null,
    string? Charge = null);

internal sealed record StripeErrorEnvelope(StripeError? Error);
