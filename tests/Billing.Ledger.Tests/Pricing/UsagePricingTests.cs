using Billing.Ledger.Pricing;

namespace Billing.Ledger.Tests.Pricing;

public sealed class UsagePricingTests
{
    private static readonly MetricPrice Flat = new(true, 10_000, 0.2m, []);
    private static readonly MetricPrice Tiered = new(true, 100_000, 0.1m, [new(400_000, 0.1m), new(null, 0.05m)]);

    [Fact]
    public void usage_exactly_at_the_included_boundary_costs_nothing()
    {
        var charge = UsagePricing.Price(Flat, 10_000);
        Assert.Equal((10_000m, 0m, 0L), (charge.IncludedQuantity, charge.OverageQuantity, charge.AmountMinor));
    }

    [Fact]
    public void overage_is_priced_per_unit_and_rounded_half_away_from_zero_once()
    {
        // 2.5 units over at 0.2 = 0.5 minor units -> 1.
        Assert.Equal(1, UsagePricing.Price(Flat, 10_002.5m).AmountMinor);
        // 1 unit over = 0.2 -> 0; 2_500 over = 500.
        Assert.Equal(0, UsagePricing.Price(Flat, 10_001).AmountMinor);
        Assert.Equal(500, UsagePricing.Price(Flat, 12_500).AmountMinor);
    }

    [Fact]
    public void graduated_tiers_price_each_unit_by_the_tier_it_falls_in()
    {
        // 600,000 - 100,000 included = 500,000 over: 400,000 x 0.1 + 100,000 x 0.05 = 45,000.
        var charge = UsagePricing.Price(Tiered, 600_000);
        Assert.Equal(500_000m, charge.OverageQuantity);
        Assert.Equal(45_000, charge.AmountMinor);
        // Exactly at the tier edge: 400,000 x 0.1.
        Assert.Equal(40_000, UsagePricing.Price(Tiered, 500_000).AmountMinor);
    }

    [Fact]
    public void non_billable_metrics_cost_nothing_whatever_the_quantity() =>
        Assert.Equal(0, UsagePricing.Price(MetricPrice.NotBillable, 1_000_000).AmountMinor);

    [Fact]
    public void negative_quantities_are_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => UsagePricing.Price(Flat, -1));

    [Theory]
    [InlineData(9_900, 10, 31, 3_194)]
    [InlineData(2_900, 21, 31, 1_965)]
    [InlineData(2_900, 30, 30, 2_900)]
    [InlineData(2_900, 0, 30, 0)]
    [InlineData(100, 1, 2, 50)]
    [InlineData(1, 1, 2, 1)]
    public void base_fee_is_prorated_by_days_with_half_away_rounding(long fee, int days, int periodDays, long expected) =>
        Assert.Equal(expected, Proration.Prorate(fee, days, periodDays));
}
