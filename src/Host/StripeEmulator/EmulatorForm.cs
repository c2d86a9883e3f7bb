using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Billing.Host.StripeEmulator;

/// <summary>Request parameters as Stripe reads them: flat bracketed keys from the form or query.</summary>
internal sealed class EmulatorForm(IReadOnlyList<KeyValuePair<string, string>> fields)
{
    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; } = fields;

    public static EmulatorForm From(IEnumerable<KeyValuePair<string, StringValues>> source) =>
        new(source.SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? ""))).ToList());

    public string? this[string key] => Fields.LastOrDefault(f => f.Key == key).Value;

    public bool IsTrue(string key) => this[key] == "true";

    public long? Long(string key) =>
        long.TryParse(this[key], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>The entries of a nested hash, <c>prefix[k]=v</c>.</summary>
    public Dictionary<string, string> Object(string prefix) =>
        Fields.Where(f => f.Key.StartsWith(prefix + "[", StringComparison.Ordinal) && f.Key.EndsWith(']'))
            .ToDictionary(f => f.Key[(prefix.Length + 1)..^1], f => f.Value, StringComparer.Ordinal);

    /// <summary>A canonical rendering for idempotency: same parameters in any order compare equal.</summary>
    public string Fingerprint() =>
        string.Join('&', Fields.OrderBy(f => f.Key, StringComparer.Ordinal).ThenBy(f => f.Value, StringComparer.Ordinal).Select(f => f.Key + "=" + f.Value));
}
