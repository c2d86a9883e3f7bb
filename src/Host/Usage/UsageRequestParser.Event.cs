using System.Text.Json;
using System.Text.RegularExpressions;
using Billing.Ledger.Usage;

namespace Billing.Host.Usage;

internal static partial class UsageRequestParser
{
    /// <summary>One event; the reader is on its first token and is left on its last.</summary>
    private static UsageInput ReadEvent(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return new UsageInput(null, null, null, null, null, null, "invalid_event");
        }

        string? id = null, tenant = null, metric = null;
        decimal? quantity = null;
        DateTimeOffset? timestamp = null;
        JsonElement? properties = null;
        bool hasQuantity = false, hasTimestamp = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                id = Text(ref reader);
            }
            else if (reader.ValueTextEquals("tenantId"u8))
            {
                tenant = Text(ref reader);
            }
            else if (reader.ValueTextEquals("metric"u8))
            {
                metric = Text(ref reader);
            }
            else if (reader.ValueTextEquals("quantity"u8))
            {
                (hasQuantity, quantity) = (true, Quantity(ref reader));
            }
            else if (reader.ValueTextEquals("timestamp"u8))
            {
                (hasTimestamp, timestamp) = (true, Timestamp(ref reader));
            }
            else if (reader.ValueTextEquals("properties"u8))
            {
                reader.Read();
                properties = reader.TokenType == JsonTokenType.Null ? null : JsonElement.ParseValue(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        var shapeError = properties is { ValueKind: not JsonValueKind.Object } ? "invalid_properties"
            : hasTimestamp && timestamp is null ? "invalid_timestamp"
            : hasQuantity && quantity is null ? "invalid_quantity"
            : null;
        return new UsageInput(id, tenant, metric, quantity, timestamp, properties, shapeError);
    }

    /// <summary>The property's value when it is a string, else null (the value is skipped).</summary>
    private static string? Text(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    private static decimal? Quantity(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out var value))
        {
            return value;
        }

        reader.Skip();
        return null;
    }

    /// <summary>ISO-8601 with an explicit offset or Z; a local time without offset is ambiguous.</summary>
    private static DateTimeOffset? Timestamp(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }

        return ExplicitOffset().IsMatch(reader.GetString()!) && reader.TryGetDateTimeOffset(out var at) ? at : null;
    }

    [GeneratedRegex(@"(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex ExplicitOffset();
}
