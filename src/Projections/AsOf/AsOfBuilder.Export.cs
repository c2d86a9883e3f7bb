using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Billing.Projections;

/// <summary>Export formats of an as-of build.</summary>
public enum AsOfFormat
{
    /// <summary>One table, a header row, RFC 4180 quoting, ISO 8601 UTC times.</summary>
    Csv,

    /// <summary>Every table: <c>{"projection", "asOf", "tables": {"name": [{column: value}]}}</c>.</summary>
    Json,
}

public sealed partial class AsOfBuilder
{
    /// <summary>Builds as-of on a connection of its own and writes it out. CSV writes one table
    /// (<paramref name="table"/>, default the projection's first); JSON writes all of them.
    /// Returns the number of rows written.</summary>
    public async Task<long> ExportAsync(string name, AsOfOptions options, AsOfFormat format, Stream output, string? table = null, CancellationToken ct = default)
    {
        var projection = catalog.Get(name).Projection;
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await BuildAsync(connection, name, options, ct);
        if (format == AsOfFormat.Csv)
        {
            var chosen = table ?? projection.Tables[0].Name;
            if (projection.Tables.All(t => t.Name != chosen))
            {
                throw new ArgumentException($"Projection '{name}' has no table '{chosen}'.", nameof(table));
            }

            await using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true);
            return await WriteCsvAsync(connection, chosen, writer, ct);
        }

        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("projection", name);
        json.WriteString("asOf", options.ToString());
        json.WriteStartObject("tables");
        long rows = 0;
        foreach (var t in projection.Tables)
        {
            json.WriteStartArray(t.Name);
            rows += await WriteJsonAsync(connection, t.Name, json, ct);
            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(ct);
        return rows;
    }

    private static async Task<long> WriteCsvAsync(NpgsqlConnection connection, string table, StreamWriter writer, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT * FROM {ReadModelNames.Temporary(table)} ORDER BY 1", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await writer.WriteLineAsync(string.Join(',', Enumerable.Range(0, reader.FieldCount).Select(i => Csv(reader.GetName(i)))).AsMemory(), ct);
        long rows = 0;
        while (await reader.ReadAsync(ct))
        {
            var cells = Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "" : Csv(Text(reader.GetValue(i))));
            await writer.WriteLineAsync(string.Join(',', cells).AsMemory(), ct);
            rows++;
        }

        return rows;
    }

    private static async Task<long> WriteJsonAsync(NpgsqlConnection connection, string table, Utf8JsonWriter json, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT * FROM {ReadModelNames.Temporary(table)} ORDER BY 1", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        long rows = 0;
        while (await reader.ReadAsync(ct))
        {
            json.WriteStartObject();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                switch (value)
                {
                    case null: json.WriteNull(reader.GetName(i)); break;
                    case long or int or short or decimal: json.WritePropertyName(reader.GetName(i)); json.WriteRawValue(Text(value)); break;
                    case bool b: json.WriteBoolean(reader.GetName(i), b); break;
                    default: json.WriteString(reader.GetName(i), Text(value)); break;
                }
            }

            json.WriteEndObject();
            rows++;
        }

        return rows;
    }

    /// <summary>Invariant text: money and quantities exactly as stored, times as ISO 8601 UTC.</summary>
    private static string Text(object value) => value switch
    {
        DateTime d => DateTime.SpecifyKind(d, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Csv(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
