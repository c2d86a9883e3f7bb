using Billing.Ledger.EventStore;

namespace Billing.Ledger.Stripe.Usage;

/// <summary>Dry run (counts only, nothing sent, nothing recorded) or live.</summary>
public enum UsageExportMode
{
    DryRun,
    Live,
}

/// <summary>One meter event to send: usage of one metric by one tenant in one UTC hour.</summary>
public sealed record UsageAggregate(string TenantId, string Metric, DateTimeOffset Hour, decimal Quantity, long Events);

/// <summary>A batch's fixed log range.</summary>
public sealed record UsageBatch(Guid BatchId, LogPosition From, LogPosition To, bool Resumed);

/// <summary>What one flush did. <see cref="Skipped"/>: another flush held the lock, nothing done.</summary>
public sealed record UsageFlushResult(
    UsageExportMode Mode,
    bool Skipped,
    Guid? BatchId,
    int Aggregates,
    int Sent,
    int TenantsWithoutCustomer,
    decimal Quantity)
{
    public static UsageFlushResult SkippedRun(UsageExportMode mode) => new(mode, true, null, 0, 0, 0, 0);

    public override string ToString() =>
        $"mode={(Mode == UsageExportMode.Live ? "live" : "dry-run")} skipped={(Skipped ? "true" : "false")} batch_id={BatchId?.ToString() ?? "-"} aggregates={Aggregates} sent={Sent} tenants_without_customer={TenantsWithoutCustomer} quantity={Quantity.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>Settings: the overlap lock key (<c>STRIPE_USAGE_FLUSH_LOCK_KEY</c>) and the meter
/// event name per metric (default: the metric name itself).</summary>
public sealed record UsageExportOptions
{
    public const long DefaultLockKey = 0x0B11_57A1_0E70;

    public long LockKey { get; init; } = DefaultLockKey;

    public IReadOnlyDictionary<string, string> MeterEventNames { get; init; } = new Dictionary<string, string>();

    public string EventNameFor(string metric) => MeterEventNames.TryGetValue(metric, out var name) ? name : metric;
}

/// <summary>The live gate: meter events are sent only when the environment says
/// <c>LIVE=true</c> and the operator passed <c>--confirm</c>; anything else is a dry run.</summary>
public static class UsageExportGate
{
    public static UsageExportMode ModeFor(string? liveSetting, bool confirm) =>
        confirm && string.Equals(liveSetting?.Trim(), "true", StringComparison.OrdinalIgnoreCase) ? UsageExportMode.Live : UsageExportMode.DryRun;
}
