using Billing.Ledger.Pricing;

namespace Billing.Ledger.Invoicing;

/// <summary>The plan in effect from a local date on (a change counts from the day it was made).</summary>
public sealed record PlanFrom(DateOnly From, string PlanId);

/// <summary>An earlier, already invoiced period whose usage grew after its invoice was final.</summary>
public sealed record LateUsage(string Period, string Metric, decimal AccountedQuantity, decimal CurrentQuantity, string PlanId);

/// <summary>Everything a draft is computed from. Gathered by <see cref="InvoicePeriodClose"/>;
/// the computation itself (<see cref="InvoiceCalculator"/>) is pure.</summary>
public sealed record InvoiceInputs(
    string TenantId,
    BillingPeriod Period,
    TimeZoneInfo Zone,
    string Currency,
    IReadOnlyList<PlanFrom> PlanHistory,
    IReadOnlyDictionary<string, decimal> Usage,
    IReadOnlyList<LateUsage> Late,
    IReadOnlyList<AdjustmentRecorded> Adjustments,
    long CreditBalanceMinor,
    DateTimeOffset Now)
{
    public string InvoiceId => InvoiceStreams.InvoiceIdOf(TenantId, Period.ToString());

    /// <summary>The plan in effect on a local day; null before the tenant existed.</summary>
    public string? PlanOn(DateOnly day) => PlanHistory.LastOrDefault(p => p.From <= day)?.PlanId;
}
