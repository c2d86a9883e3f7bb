using System.Text.Json;
using Billing.Ledger.EventStore;

namespace Billing.Ledger.Usage;

/// <summary>One metered usage event, appended to a shard stream <c>usage-{tenant}-{shard}</c>.
/// <see cref="LocalDay"/> is the day in the tenant's time zone at ingestion, so rollups and
/// invoices never depend on a later zone change. The event id is derived from
/// (tenant, <see cref="ClientEventId"/>): a retried id can never be stored twice.</summary>
[EventType("usage.recorded.v1")]
public sealed record UsageRecorded(
    string ClientEventId,
    string Metric,
    decimal Quantity,
    DateTimeOffset Timestamp,
    DateOnly LocalDay,
    JsonElement? Properties,
    string PayloadHash);

public static class UsageStreams
{
    public const string Type = "usage";

    /// <summary>Shards per tenant. Each request appends a tenant's events to one shard, taken
    /// round-robin per process, so concurrent requests for one hot tenant lock different stream
    /// rows.</summary>
    public const int Shards = 8;

    public static string IdOf(string tenantId, int shard) => $"usage-{tenantId}-{shard}";

    public static int ShardOf(string streamId) =>
        int.Parse(streamId.AsSpan(streamId.LastIndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture);
}
