using System.Text.RegularExpressions;

namespace Billing.Host.Observability;

/// <summary>Masks secrets in free text: Stripe secret and restricted keys, webhook signing
/// secrets, our API keys (the listing prefix stays visible), bearer tokens, connection-string
/// passwords and card-number-like digit runs (standalone, Luhn-valid, 13–19 digits starting with
/// 2–6; last four kept).
/// Applied to every log line, configuration dumps and exception messages.</summary>
public static partial class SecretMasker
{
    public const string Mask = "***";

    public static string Apply(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        // Bearer tokens first: the whole token goes, whatever kind of key it is.
        var masked = Bearer().Replace(text, "Bearer " + Mask);
        masked = StripeKey().Replace(masked, m => m.Groups["kind"].Value + Mask);
        masked = WebhookSecret().Replace(masked, "whsec_" + Mask);
        masked = OwnApiKey().Replace(masked, m => m.Groups["prefix"].Value + Mask);
        masked = Password().Replace(masked, m => m.Groups["name"].Value + "=" + Mask);
        return CardLike().Replace(masked, MaskCard);
    }

    /// <summary>Whether a name (log property, JSON field) says its value is secret whatever it
    /// looks like. Not every "...Key" is: idempotency keys must stay readable in logs.</summary>
    public static bool IsSecretName(string name) => SecretName().IsMatch(name);

    /// <summary>Stricter, for configuration: any setting named "...key" is treated as a secret
    /// (<c>BILLING_BOOTSTRAP_ADMIN_KEY</c>, <c>Stripe:RestrictedKey</c>).</summary>
    public static bool IsSecretSettingName(string name) =>
        IsSecretName(name) || name.EndsWith("key", StringComparison.OrdinalIgnoreCase);

    private static string MaskCard(Match match)
    {
        var digits = new string(match.Value.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length is < 13 or > 19 || !PassesLuhn(digits))
        {
            return match.Value;
        }

        return "[card " + Mask + digits[^4..] + "]";
    }

    private static bool PassesLuhn(string digits)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubleIt)
            {
                d *= 2;
                d = d > 9 ? d - 9 : d;
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return sum % 10 == 0;
    }

    [GeneratedRegex(@"(?<kind>\b(?:sk|rk)_(?:live|test)_)[0-9A-Za-z]+")]
    private static partial Regex StripeKey();

    [GeneratedRegex(@"\bwhsec_[0-9A-Za-z+/=]+")]
    private static partial Regex WebhookSecret();

    [GeneratedRegex(@"(?<prefix>\bbk_live_[0-9A-Za-z]{8})[0-9A-Za-z]{12,}")]
    private static partial Regex OwnApiKey();

    [GeneratedRegex(@"\bBearer\s+[A-Za-z0-9._~+/=-]{16,}", RegexOptions.IgnoreCase)]
    private static partial Regex Bearer();

    [GeneratedRegex(@"(?<name>\b(?:password|pwd))\s*=\s*[^;""'\s]*", RegexOptions.IgnoreCase)]
    private static partial Regex Password();

    // Card numbers start with 2-6 (Mastercard 2-series, Amex, Visa, Mastercard, Discover) and stand
    // alone: digits inside an alphanumeric token (a hex id) or starting with 1 (a Unix time in ms)
    // are not cards.
    [GeneratedRegex(@"(?<![0-9A-Za-z])[2-6](?:[ -]?\d){12,18}(?![0-9A-Za-z])")]
    private static partial Regex CardLike();

    [GeneratedRegex(@"(secret|password|passwd|pwd|token|apikey|api_key|private_?key|signing)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
