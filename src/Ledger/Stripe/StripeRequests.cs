namespace Billing.Ledger.Stripe;

public sealed record CustomerCreate(string? Email, string? Name, IReadOnlyDictionary<string, string>? Metadata = null)
{
    internal StripeForm ToForm() => new StripeForm().Add("email", Email).Add("name", Name).AddObject("metadata", Metadata);
}

/// <summary>A merchant-initiated charge of a saved payment method: a payment intent created and
/// confirmed in one call with <c>off_session=true</c>.</summary>
public sealed record OffSessionCharge(
    long Amount,
    string Currency,
    string Customer,
    string PaymentMethod,
    string? Description = null,
    IReadOnlyDictionary<string, string>? Metadata = null)
{
    internal StripeForm ToForm() => new StripeForm()
        .Add("amount", Amount)
        .Add("currency", Currency.ToLowerInvariant())
        .Add("customer", Customer)
        .Add("payment_method", PaymentMethod)
        .Add("confirm", true)
        .Add("off_session", true)
        .AddArray("payment_method_types", ["card"])
        .Add("description", Description)
        .AddObject("metadata", Metadata);
}

/// <summary>Refund of a payment intent or charge; <see cref="Amount"/> null refunds what is left.</summary>
public sealed record RefundCreate(
    string? PaymentIntent,
    string? Charge = null,
    long? Amount = null,
    RefundReason? Reason = null,
    IReadOnlyDictionary<string, string>? Metadata = null)
{
    internal StripeForm ToForm()
    {
        if ((PaymentIntent is null) == (Charge is null))
        {
            throw new ArgumentException("A refund names exactly one of payment_intent or charge.");
        }

        return new StripeForm()
            .Add("payment_intent", PaymentIntent)
            .Add("charge", Charge)
            .Add("amount", Amount)
            .Add("reason", Reason switch
            {
                RefundReason.Duplicate => "duplicate",
                RefundReason.Fraudulent => "fraudulent",
                RefundReason.RequestedByCustomer => "requested_by_customer",
                _ => null,
            })
            .AddObject("metadata", Metadata);
    }
}

public enum RefundReason
{
    Duplicate,
    Fraudulent,
    RequestedByCustomer,
}

/// <summary>One usage report to a Stripe billing meter. <see cref="Identifier"/> must be
/// deterministic (derived from our own ids) so a rerun never double counts.</summary>
public sealed record MeterEventCreate(string EventName, string StripeCustomerId, decimal Value, string Identifier, DateTimeOffset Timestamp)
{
    internal StripeForm ToForm() => new StripeForm()
        .Add("event_name", EventName)
        .Add("payload[stripe_customer_id]", StripeCustomerId)
        .Add("payload[value]", Value)
        .Add("identifier", Identifier)
        .Add("timestamp", Timestamp);
}

/// <summary>Filters of a list call: page size (1..100), cursor, and a lower bound on created.</summary>
public sealed record StripeListQuery(int Limit = 100, string? StartingAfter = null, DateTimeOffset? CreatedGte = null)
{
    internal string ToQueryString()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Limit, 100);
        var form = new StripeForm().Add("limit", Limit).Add("starting_after", StartingAfter).Add("created[gte]", CreatedGte);
        return form.Encode();
    }
}
