using Billing.Ledger.EventStore;

namespace Billing.Ledger.Invoicing;

/// <summary>Stream <c>adjustments-{tenant}</c> (type <c>adjustments</c>): manual charges and
/// credits waiting for the tenant's next invoice. An adjustment is consumed by the first
/// finalized invoice that lists its id.</summary>
[EventType("adjustment.recorded.v1")]
public sealed record AdjustmentRecorded(string AdjustmentId, string Kind, long AmountMinor, string Currency, string Reason, string Actor, DateTimeOffset At);

public static class AdjustmentKinds
{
    public const string Charge = "charge";
    public const string Credit = "credit";
}

public static class AdjustmentStreams
{
    public const string Type = "adjustments";

    public static string IdOf(string tenantId) => "adjustments-" + tenantId;
}
