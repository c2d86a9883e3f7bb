using System.Text.Json;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>The fields of a Stripe event object the ledger routes on, plus the whole payload.</summary>
public sealed record StripeWebhookEnvelope(
    string Id,
    string Type,
    DateTimeOffset Created,
    bool Livemode,
    string? ObjectType,
    string? ObjectId,
    JsonElement Object,
    JsonElement Payload)
{
    /// <summary>Parses a verified body. Anything that is not a Stripe event object is rejected.</summary>
    public static StripeWebhookEnvelope Parse(ReadOnlyMemory<byte> body)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new StripeWebhookPayloadException("The body is not JSON.", ex);
        }

        return FromPayload(root);
    }

    /// <summary>Reads an event already parsed (a recorded payload).</summary>
    public static StripeWebhookEnvelope FromPayload(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || Text(root, "object") != "event")
        {
            throw new StripeWebhookPayloadException("The body is not a Stripe event object.");
        }

        var id = Text(root, "id") is { Length: > 0 and <= 255 } i ? i : throw new StripeWebhookPayloadException("The event has no id.");
        var type = Text(root, "type") is { Length: > 0 } t ? t : throw new StripeWebhookPayloadException("The event has no type.");
        var created = root.TryGetProperty("created", out var c) && c.TryGetInt64(out var unix) ? DateTimeOffset.FromUnixTimeSeconds(unix) : throw new StripeWebhookPayloadException("The event has no created time.");
        var obj = root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object && data.TryGetProperty("object", out var o) && o.ValueKind == JsonValueKind.Object
            ? o
            : throw new StripeWebhookPayloadException("The event has no data.object.");
        var livemode = root.TryGetProperty("livemode", out var l) && l.ValueKind == JsonValueKind.True;
        return new StripeWebhookEnvelope(id, type, created, livemode, Text(obj, "object"), Text(obj, "id"), obj, root);
    }

    /// <summary>A string property of the event's object, or null.</summary>
    public string? ObjectText(string name) => Text(Object, name);

    /// <summary><c>data.object.metadata[key]</c>, or null.</summary>
    public string? Metadata(string key) =>
        Object.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? Text(m, key) : null;

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>A correctly signed body that is not a usable Stripe event (answered 400).</summary>
public sealed class StripeWebhookPayloadException(string message, Exception? inner = null) : Exception(message, inner);
