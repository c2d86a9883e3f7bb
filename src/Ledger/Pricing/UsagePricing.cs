using Billing.Ledger.Money;

namespace Billing.Ledger.Pricing;

/// <summary>What a period's quantity of one metric costs: the included part, the overage and
/// the exact and rounded amounts.</summary>
public sealed record UsageCharge(decimal Quantity, decimal IncludedQuantity, decimal OverageQuantity, decimal ExactMinor, long AmountMinor);

/// <summary>Pure pricing of usage. No clock, no I/O.</summary>
public static class UsagePricing
{
    public static UsageCharge Price(MetricPrice price, decimal quantity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(quantity);
        if (!price.Billable)
        {
            return new UsageCharge(quantity, 0, 0, 0, 0);
        }

        var included = Math.Min(quantity, price.IncludedUnits);
        var overage = quantity - included;
        var exact = price.Tiers.Count == 0 ? overage * price.UnitPriceMinor : Graduated(price.Tiers, overage);
        return new UsageCharge(quantity, included, overage, exact, MinorUnits.Round(exact));
    }

    /// <summary>Graduated tiers: each unit of overage is priced by the tier it falls in
    /// (units 0..UpTo₁ at the first price, UpTo₁..UpTo₂ at the second, ...). Units beyond the
    /// last bounded tier use the last tier's price.</summary>
    public static decimal Graduated(IReadOnlyList<PriceTier> tiers, decimal overage)
    {
        var total = 0m;
        var lower = 0m;
        foreach (var tier in tiers)
        {
            var upper = tier.UpTo ?? decimal.MaxValue;
            if (overage <= lower)
            {
                break;
            }

            var inTier = Math.Min(overage, upper) - lower;
            total += inTier * tier.UnitPriceMinor;
            lower = upper;
        }

        if (overage > lower && tiers.Count > 0)
        {
            total += (overage - lower) * tiers[^1].UnitPriceMinor;
        }

        return total;
    }
}
