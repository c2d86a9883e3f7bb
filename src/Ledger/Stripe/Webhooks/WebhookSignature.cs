using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Why a delivery was rejected; the value is the metric label and problem detail code.</summary>
public enum WebhookSignatureFailure
{
    None,
    MissingHeader,
    MalformedHeader,
    StaleTimestamp,
    SignatureMismatch,
    NoSecretConfigured,
}

public sealed record WebhookSignatureResult(WebhookSignatureFailure Failure, DateTimeOffset? SignedAt)
{
    public bool IsValid => Failure == WebhookSignatureFailure.None;
}

/// <summary>Verifies <c>Stripe-Signature: t=..,v1=..[,v1=..]</c> over the exact raw body bytes:
/// HMAC-SHA256 of <c>"{t}.{body}"</c> keyed with the whole <c>whsec_...</c> string. Several
/// secrets are accepted at once so a secret can be rotated without dropping deliveries; any
/// <c>v1</c> matching any secret passes. Comparison is constant-time.</summary>
public sealed class WebhookSignature
{
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromSeconds(300);

    private readonly IReadOnlyList<byte[]> _keys;
    private readonly TimeProvider _time;

    public WebhookSignature(IEnumerable<string> secrets, TimeProvider time, TimeSpan? tolerance = null)
    {
        _keys = secrets.Select(s => s.Trim()).Where(s => s.Length > 0).Select(Encoding.UTF8.GetBytes).ToList();
        _time = time;
        Tolerance = tolerance ?? DefaultTolerance;
    }

    /// <summary>Reads <c>STRIPE_WEBHOOK_SECRET</c>: one secret, or several comma-separated during a rotation.</summary>
    public static WebhookSignature FromSetting(string? commaSeparatedSecrets, TimeProvider time, TimeSpan? tolerance = null) =>
        new((commaSeparatedSecrets ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), time, tolerance);

    public TimeSpan Tolerance { get; }

    public int SecretCount => _keys.Count;

    public WebhookSignatureResult Verify(ReadOnlySpan<byte> body, string? header)
    {
        if (_keys.Count == 0)
        {
            return new(WebhookSignatureFailure.NoSecretConfigured, null);
        }

        if (string.IsNullOrWhiteSpace(header))
        {
            return new(WebhookSignatureFailure.MissingHeader, null);
        }

        if (!TryParse(header, out var timestamp, out var signatures))
        {
            return new(WebhookSignatureFailure.MalformedHeader, null);
        }

        var signedAt = DateTimeOffset.FromUnixTimeSeconds(timestamp);
        // Both directions, as stripe-dotnet does: a far-future t is as suspicious as an old one.
        if ((_time.GetUtcNow() - signedAt).Duration() > Tolerance)
        {
            return new(WebhookSignatureFailure.StaleTimestamp, signedAt);
        }

        var matched = false;
        foreach (var key in _keys)
        {
            var expected = Compute(key, timestamp, body);
            foreach (var candidate in signatures)
            {
                // Non-short-circuiting: every comparison runs, each in constant time.
                matched |= CryptographicOperations.FixedTimeEquals(expected, candidate);
            }
        }

        return new(matched ? WebhookSignatureFailure.None : WebhookSignatureFailure.SignatureMismatch, signedAt);
    }

    /// <summary>The lowercase hex v1 signature Stripe would send (used by the emulator to sign).</summary>
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body) =>
        Convert.ToHexStringLower(Compute(Encoding.UTF8.GetBytes(secret), timestamp, body));

    public static string Header(long timestamp, params IEnumerable<string> v1Signatures) =>
        $"t={timestamp.ToString(CultureInfo.InvariantCulture)}," + string.Join(',', v1Signatures.Select(s => "v1=" + s));

    private static byte[] Compute(byte[] key, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }

    /// <summary>Splits on ',' then on the first '='; keeps t and every v1; ignores v0 and
    /// unknown schemes. A v1 that is not 64 hex characters cannot match and is dropped.</summary>
    private static bool TryParse(string header, out long timestamp, out List<byte[]> signatures)
    {
        timestamp = 0;
        signatures = [];
        var haveTimestamp = false;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var (name, value) = (part[..eq], part[(eq + 1)..]);
            if (name == "t")
            {
                haveTimestamp = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out timestamp);
            }
            else if (name == "v1" && value.Length == 64 && IsHex(value))
            {
                signatures.Add(Convert.FromHexString(value));
            }
        }

        return haveTimestamp && signatures.Count > 0;
    }

    private static bool IsHex(string value) => value.All(char.IsAsciiHexDigit);
}
