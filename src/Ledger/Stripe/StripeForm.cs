using System.Globalization;
using System.Text;

namespace Billing.Ledger.Stripe;

/// <summary>Builds an <c>application/x-www-form-urlencoded</c> body the way Stripe reads it:
/// nested objects as <c>metadata[k]=v</c>, arrays always indexed (<c>items[0][price]=...</c>),
/// booleans lowercase, times as unix seconds. Keys keep their insertion order.</summary>
public sealed class StripeForm
{
    private readonly List<KeyValuePair<string, string>> _fields = [];

    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    public StripeForm Add(string key, string? value)
    {
        if (value is not null)
        {
            _fields.Add(new(key, value));
        }

        return this;
    }

    public StripeForm Add(string key, long? value) =>
        value is null ? this : Add(key, value.Value.ToString(CultureInfo.InvariantCulture));

    public StripeForm Add(string key, decimal? value) =>
        value is null ? this : Add(key, value.Value.ToString(CultureInfo.InvariantCulture));

    public StripeForm Add(string key, bool? value) =>
        value is null ? this : Add(key, value.Value ? "true" : "false");

    public StripeForm Add(string key, DateTimeOffset? value) =>
        value is null ? this : Add(key, value.Value.ToUnixTimeSeconds());

    /// <summary>Adds <c>prefix[k]=v</c> for every entry (Stripe's nested hash).</summary>
    public StripeForm AddObject(string prefix, IEnumerable<KeyValuePair<string, string>>? entries)
    {
        foreach (var (k, v) in entries ?? [])
        {
            Add($"{prefix}[{k}]", v);
        }

        return this;
    }

    /// <summary>Adds <c>prefix[0]=a&amp;prefix[1]=b</c>; Stripe needs the indexes.</summary>
    public StripeForm AddArray(string prefix, IEnumerable<string> values)
    {
        var i = 0;
        foreach (var value in values)
        {
            Add($"{prefix}[{i++}]", value);
        }

        return this;
    }

    /// <summary>Adds <c>prefix[i][k]=v</c> for an array of objects.</summary>
    public StripeForm AddArray(string prefix, IEnumerable<IEnumerable<KeyValuePair<string, string>>> items)
    {
        var i = 0;
        foreach (var item in items)
        {
            AddObject($"{prefix}[{i++}]", item);
        }

        return this;
    }

    public string Encode()
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in _fields)
        {
            if (sb.Length > 0)
            {
                sb.Append('&');
            }

            sb.Append(EscapeKey(key)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return sb.ToString();
    }

    public override string ToString() => Encode();

    // Brackets stay readable (Stripe accepts them raw, as its own libraries send them); every
    // other reserved character in a key is escaped.
    private static string EscapeKey(string key) =>
        Uri.EscapeDataString(key).Replace("%5B", "[", StringComparison.Ordinal).Replace("%5D", "]", StringComparison.Ordinal);
}
