using System.Text.Json;
using Billing.Ledger.EventStore;

namespace Billing.Ledger.Stripe.Webhooks;

public enum WebhookOutcome
{
    Applied,
    Ignored,
    Flagged,
}

/// <summary>What an applier did with one event, with a reason an operator can read.</summary>
public sealed record WebhookApplication(WebhookOutcome Outcome, string Detail);

/// <summary>One recorded Stripe event being processed for a resolved tenant.</summary>
public sealed record StripeWebhookContext(
    string TenantId,
    string StripeEventId,
    string Type,
    bool Matched,
    DateTimeOffset StripeCreatedAt,
    StripeWebhookReceived Received,
    EventMetadata EventMetadata)
{
    public JsonElement Object => Received.Payload.GetProperty("data").GetProperty("object");

    public string? ObjectText(string name) =>
        Object.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public string? MetadataValue(string key) =>
        Object.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object
        && m.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>The webhook → domain mapping: turns a Stripe event into ledger events on the
/// tenant's own streams (invoice paid, payment failed, refund recorded, invoice disputed).
/// Implementations add their appends and commands to <paramref name="uow"/>, which commits
/// together with the "processed" marker and the job's completion, so an effect happens once.
/// They must decide from the stream's current state, not arrival order: a
/// <c>payment_intent.payment_failed</c> that arrives after the invoice was paid must not reopen
/// it (Stripe delivers at least once and unordered). Return null for events not handled.</summary>
public interface IStripeWebhookApplier
{
    Task<WebhookApplication?> ApplyAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct);
}
