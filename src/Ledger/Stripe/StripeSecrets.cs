using System.Text.RegularExpressions;

namespace Billing.Ledger.Stripe;

/// <summary>Masks Stripe secrets (secret, restricted and webhook keys) wherever text may reach a
/// log line or an exception message.</summary>
public static partial class StripeSecrets
{
    /// <summary>Masks a single secret: keeps the kind prefix and the last four characters.</summary>
    public static string Mask(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return "(none)";
        }

        var prefixEnd = secret.LastIndexOf('_');
        var prefix = prefixEnd is > 0 and < 12 ? secret[..(prefixEnd + 1)] : "";
        var tail = secret.Length - prefix.Length > 8 ? secret[^4..] : "";
        return prefix + "****" + tail;
    }

    /// <summary>Masks every secret-looking token inside free text.</summary>
    public static string MaskIn(string? text) =>
        string.IsNullOrEmpty(text) ? text ?? "" : SecretPattern().Replace(text, m => Mask(m.Value));

    [GeneratedRegex(@"\b(?:sk|rk|whsec)_[A-Za-z0-9_]{4,}")]
    private static partial Regex SecretPattern();
}
