namespace Billing.Ledger.Pricing;

/// <summary>One graduated tier: units of overage up to <see cref="UpTo"/> (cumulative, beyond
/// the included units; null = no upper bound) cost <see cref="UnitPriceMinor"/> each.</summary>
public sealed record PriceTier(decimal? UpTo, decimal UnitPriceMinor);

/// <summary>How one metric is priced on a plan. Quantities up to <see cref="IncludedUnits"/> are
/// free; the rest (overage) costs <see cref="UnitPriceMinor"/> per unit, or follows
/// <see cref="Tiers"/> when any are given. Non-billable metrics are recorded but never invoiced.
/// Unit prices are decimal minor units (0.2 = a fifth of a cent), rounded once per line.</summary>
public sealed record MetricPrice(bool Billable, decimal IncludedUnits, decimal UnitPriceMinor, IReadOnlyList<PriceTier> Tiers)
{
    public static MetricPrice NotBillable { get; } = new(false, 0, 0, []);
}

/// <summary>A plan of the catalogue: a monthly base fee plus per-metric usage prices, in one
/// currency. <see cref="StripePriceId"/> maps the plan to the provider's price object.</summary>
public sealed record Plan(
    string Id,
    string Name,
    string Currency,
    long BaseFeeMinor,
    string? StripePriceId,
    IReadOnlyDictionary<string, MetricPrice> Metrics,
    string Period = "monthly");

/// <summary>The plan catalogue as configured. <see cref="Version"/> is a hash of its canonical
/// form: any edit to any price yields a new version, and each invoice records the version it
/// was priced with.</summary>
public sealed record PlanCatalogue(string Version, IReadOnlyDictionary<string, Plan> Plans)
{
    public Plan? Find(string planId) => Plans.GetValueOrDefault(planId);

    /// <summary>Every metric any plan knows; usage of other metrics is rejected at ingestion.</summary>
    public IReadOnlySet<string> Metrics { get; } = Plans.Values.SelectMany(p => p.Metrics.Keys).ToHashSet(StringComparer.Ordinal);
}
