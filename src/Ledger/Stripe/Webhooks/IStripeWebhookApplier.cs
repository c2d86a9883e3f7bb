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
    /// <summary>What appliers read ahead for the whole batch this event is processed in
    /// (<see cref="IStripeWebhookApplier.PrefetchAsync"/>); empty when it is processed alone.</summary>
    public StripeWebhookLookups Lookups { get; init; } = new();

    /// <summary>Stripe objects to link to <see cref="TenantId"/>: the processor records them with
    /// the "processed" marker, set-wise for a batch (<c>ledger.link_stripe_objects</c>).</summary>
    public List<(string StripeId, string Kind)> NewLinks { get; } = [];

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

    /// <summary>Reads ahead, in as few queries as possible, what <see cref="ApplyAsync"/> will
    /// need for every event of a batch, and puts it in the events' shared
    /// <see cref="StripeWebhookContext.Lookups"/>. What it puts there is the state before the
    /// batch: effects of one event on another in the same batch are caught by the expected
    /// versions of their appends (the batch then fails and each event runs alone).</summary>
    Task PrefetchAsync(IReadOnlyList<StripeWebhookContext> batch, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Per-batch read-ahead shared by the events of one processing batch, keyed by what an
/// applier looked up. Only the processing thread of that batch uses it.</summary>
public sealed class StripeWebhookLookups
{
    private readonly Dictionary<string, object> _values = new(StringComparer.Ordinal);

    public void Put<T>(string key, T value)
        where T : class => _values[key] = value;

    public T? Find<T>(string key)
        where T : class => _values.TryGetValue(key, out var value) ? value as T : null;
}
