using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Billing.Ledger.Usage;

/// <summary>One event as a client sent it. Null fields were missing or of the wrong JSON type.</summary>
public sealed record UsageInput(string? ClientEventId, string? TenantId, string? Metric, decimal? Quantity, DateTimeOffset? Timestamp, JsonElement? Properties, string? ShapeError = null)
{
    private const int StackLimit = 512;

    /// <summary>Identifies the payload: a resend with the same id and hash is a duplicate, with a
    /// different hash a conflict. Quantities compare by value (1.0 = 1); timestamps by instant.
    /// The hash of <c>metric \n quantity(G29) \n UTC instant("O") \n compact properties</c>, first
    /// 32 hex digits; stored in <c>usage_dedupe</c> and every event, so its input never changes
    /// (<c>UsageHashTests</c> pins it). Formatted straight into UTF-8 without strings: ingestion
    /// hashes every event of every batch.</summary>
    public string PayloadHash()
    {
        var properties = Properties is { } p ? JsonSerializer.Serialize(p) : "";
        var length = Encoding.UTF8.GetByteCount(Metric!) + Encoding.UTF8.GetByteCount(properties) + 64;
        byte[]? rented = null;
        var buffer = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var n = Encoding.UTF8.GetBytes(Metric, buffer);
            buffer[n++] = (byte)'\n';
            Quantity!.Value.TryFormat(buffer[n..], out var written, "G29", CultureInfo.InvariantCulture);
            n += written;
            buffer[n++] = (byte)'\n';
            Timestamp!.Value.UtcDateTime.TryFormat(buffer[n..], out written, "O", CultureInfo.InvariantCulture);
            n += written;
            buffer[n++] = (byte)'\n';
            n += Encoding.UTF8.GetBytes(properties, buffer[n..]);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..n], hash);
            return Convert.ToHexStringLower(hash[..16]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The stored event's id, a pure function of (tenant, client event id):
    /// SHA-256 of <c>usage \n tenant \n id</c> shaped as an RFC 9562 version 8 UUID.</summary>
    public static Guid EventIdOf(string tenantId, string clientEventId)
    {
        var length = Encoding.UTF8.GetByteCount(tenantId) + Encoding.UTF8.GetByteCount(clientEventId) + 7;
        byte[]? rented = null;
        var buffer = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var n = Encoding.UTF8.GetBytes("usage\n", buffer);
            n += Encoding.UTF8.GetBytes(tenantId, buffer[n..]);
            buffer[n++] = (byte)'\n';
            n += Encoding.UTF8.GetBytes(clientEventId, buffer[n..]);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..n], hash);
            hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
            hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
            return new Guid(hash[..16], bigEndian: true);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
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
