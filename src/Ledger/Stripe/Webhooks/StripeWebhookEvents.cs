using System.Text.Json;
using Billing.Ledger.EventStore;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>A verified Stripe event, recorded as received (before any processing) with its
/// whole payload, on the stream <c>stripe-webhook-{evt id}</c> of the tenant it resolved to
/// (or of <see cref="StripeWebhookStreams.UnmatchedTenant"/>).</summary>
[EventType("stripe.webhook_received.v1")]
public sealed record StripeWebhookReceived(
    string StripeEventId,
    string Type,
    string? ObjectType,
    string? ObjectId,
    bool Livemode,
    DateTimeOffset StripeCreatedAt,
    bool Matched,
    string ResolvedBy,
    JsonElement Payload);

/// <summary>What processing did with the event: applied, ignored (a type we do not handle) or
/// flagged (an object we never created, an unexpected status) with the reason.</summary>
[EventType("stripe.webhook_processed.v1")]
public sealed record StripeWebhookProcessed(string StripeEventId, string Type, string Outcome, string Detail);

public static class StripeWebhookStreams
{
    /// <summary>Events no tenant could be resolved for live under this reserved tenant id.</summary>
    public const string UnmatchedTenant = "_unmatched";

    public const string StreamType = "stripe-webhook";

    public static string StreamId(string stripeEventId) => "stripe-webhook-" + stripeEventId;

    /// <summary>Event ids derived from the Stripe event id, so a re-append is the event store's
    /// idempotent no-op rather than a second event.</summary>
    public static Guid ReceivedEventId(string stripeEventId) => DeterministicGuid("stripe.webhook_received:" + stripeEventId);

    public static Guid ProcessedEventId(string stripeEventId) => DeterministicGuid("stripe.webhook_processed:" + stripeEventId);

    public static Guid DeterministicGuid(string name)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name), hash);
        var bytes = hash[..16].ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8 (name-based, custom hash)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }
}
