using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Billing.Host.Auth;

/// <summary>An API key as operators see it: never the key itself, only its prefix.</summary>
public sealed record ApiKeyInfo(string Prefix, string Role, string? TenantId, string? Description, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public bool IsActive => RevokedAt is null;

    /// <summary>The actor recorded in event metadata for requests made with this key.</summary>
    public string Actor => "key:" + Prefix;
}

/// <summary>A freshly created key: <see cref="Key"/> is shown once and never stored.</summary>
public sealed record CreatedApiKey(string Key, ApiKeyInfo Info);

/// <summary>Key format: <c>bk_live_</c> followed by 43 base62 characters (256 bits of entropy).
/// The prefix is the marker plus the first 8 random characters: enough to tell keys apart in a
/// listing, far too little to guess the rest.</summary>
public static partial class ApiKeyFormat
{
    public const string Marker = "bk_live_";
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int RandomLength = 43;
    private const int PrefixRandomLength = 8;

    /// <summary>Keys supplied from outside (BILLING_BOOTSTRAP_ADMIN_KEY) must be at least this long.</summary>
    public const int MinimumExternalLength = 32;

    public static string NewKey() => Marker + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Our own keys list by their visible prefix; a key in another format (an operator's
    /// bootstrap secret) lists by a hash fragment so no part of it is ever shown.</summary>
    public static string PrefixOf(string key) =>
        OwnFormat().IsMatch(key) ? key[..(Marker.Length + PrefixRandomLength)] : "boot_" + Hash(key)[..8];

    public static bool LooksLikeOwnKey(string key) => OwnFormat().IsMatch(key);

    [GeneratedRegex("^bk_live_[0-9A-Za-z]{20,}$")]
    private static partial Regex OwnFormat();
}
