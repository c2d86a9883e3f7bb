using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Billing.Ledger.Usage;

/// <summary>One event as a client sent it. Null fields were missing or of the wrong JSON type.</summary>
public sealed record UsageInput(string? ClientEventId, string? TenantId, string? Metric, decimal? Quantity, DateTimeOffset? Timestamp, JsonElement? Properties, string? ShapeError = null)
{
    /// <summary>Identifies the payload: a resend with the same id and hash is a duplicate, with a
    /// different hash a conflict. Quantities compare by value (1.0 = 1); timestamps by instant.</summary>
    public string PayloadHash()
    {
        var canonical = string.Join('\n',
            Metric,
            Quantity!.Value.ToString("G29", CultureInfo.InvariantCulture),
            Timestamp!.Value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            Properties is { } p ? JsonSerializer.Serialize(p) : "");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..32];
    }

    /// <summary>The stored event's id, a pure function of (tenant, client event id).</summary>
    public static Guid EventIdOf(string tenantId, string clientEventId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("usage\n" + tenantId + "\n" + clientEventId));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}

public enum UsageStatus
{
    Accepted,
    Duplicate,
    Conflict,
    Rejected,
}

/// <summary>The outcome for one event of a batch, in the batch's order.</summary>
public sealed record UsageResult(string? ClientEventId, string? TenantId, UsageStatus Status, string? Reason = null);

/// <summary>Ingestion settings (<c>Billing:Usage</c>).</summary>
public sealed record UsageOptions(int LookbackDays = 30, int MaxBatchSize = 1000)
{
    public static TimeSpan FutureTolerance { get; } = TimeSpan.FromMinutes(5);
}
