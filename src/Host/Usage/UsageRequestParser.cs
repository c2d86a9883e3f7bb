using System.Text.Json;
using System.Text.RegularExpressions;
using Billing.Ledger.Usage;

namespace Billing.Host.Usage;

/// <summary>Turns one JSON event into a <see cref="UsageInput"/>. A field of the wrong type is
/// not a 400 for the whole batch: the event is rejected with a reason and the others proceed.</summary>
internal static partial class UsageRequestParser
{
    public static UsageInput Parse(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            return new UsageInput(null, null, null, null, null, null, "invalid_event");
        }

        var id = Text(e, "id");
        var tenant = Text(e, "tenantId");
        var metric = Text(e, "metric");
        decimal? quantity = e.TryGetProperty("quantity", out var q) && q.ValueKind == JsonValueKind.Number && q.TryGetDecimal(out var d) ? d : null;
        var timestamp = Timestamp(e);
        JsonElement? properties = e.TryGetProperty("properties", out var p) && p.ValueKind != JsonValueKind.Null ? p.Clone() : null;
        var shapeError = properties is { ValueKind: not JsonValueKind.Object } ? "invalid_properties"
            : e.TryGetProperty("timestamp", out _) && timestamp is null ? "invalid_timestamp"
            : e.TryGetProperty("quantity", out _) && quantity is null ? "invalid_quantity"
            : null;
        return new UsageInput(id, tenant, metric, quantity, timestamp, properties, shapeError);
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>ISO-8601 with an explicit offset or Z; a local time without offset is ambiguous.</summary>
    private static DateTimeOffset? Timestamp(JsonElement e) =>
        e.TryGetProperty("timestamp", out var v) && v.ValueKind == JsonValueKind.String
        && ExplicitOffset().IsMatch(v.GetString()!) && v.TryGetDateTimeOffset(out var at) ? at : null;

    [GeneratedRegex(@"(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex ExplicitOffset();
}
