using Billing.Ledger.Pricing;
using Microsoft.Extensions.Configuration;

namespace Billing.Ledger.Tests.Pricing;

public sealed class CatalogueAndPeriodTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static readonly (string, string)[] Pro =
    [
        ("Billing:Plans:pro:Currency", "EUR"),
        ("Billing:Plans:pro:BaseFeeMinor", "5000"),
        ("Billing:Plans:pro:StripePriceId", "price_pro"),
        ("Billing:Plans:pro:Metrics:api_calls:IncludedUnits", "1000"),
        ("Billing:Plans:pro:Metrics:api_calls:Tiers:0:UpTo", "500"),
        ("Billing:Plans:pro:Metrics:api_calls:Tiers:0:UnitPriceMinor", "1.5"),
        ("Billing:Plans:pro:Metrics:api_calls:Tiers:1:UnitPriceMinor", "0.5"),
        ("Billing:Plans:pro:Metrics:seats:Billable", "false"),
    ];

    [Fact]
    public void the_catalogue_is_read_from_configuration()
    {
        var catalogue = PlanCatalogueLoader.Load(Config(Pro));
        var pro = Assert.Single(catalogue.Plans.Values);
        Assert.Equal(("pro", "EUR", 5000L, "price_pro"), (pro.Id, pro.Currency, pro.BaseFeeMinor, pro.StripePriceId));
        Assert.Equal([new PriceTier(500, 1.5m), new PriceTier(null, 0.5m)], pro.Metrics["api_calls"].Tiers);
        Assert.False(pro.Metrics["seats"].Billable);
        Assert.Equal(1000m, pro.Metrics["api_calls"].IncludedUnits);
    }

    [Fact]
    public void without_configuration_the_default_plans_apply() =>
        Assert.Equal(["business", "enterprise", "starter"], PlanCatalogueLoader.Load(Config()).Plans.Keys.Order());

    [Fact]
    public void any_price_change_gives_a_new_catalogue_version_and_key_order_does_not()
    {
        var original = PlanCatalogueLoader.Load(Config(Pro)).Version;
        var reordered = PlanCatalogueLoader.Load(Config([.. Pro.Reverse()])).Version;
        var changed = PlanCatalogueLoader.Load(Config([.. Pro.Where(p => p.Item1 != "Billing:Plans:pro:BaseFeeMinor"), ("Billing:Plans:pro:BaseFeeMinor", "5001")])).Version;
        Assert.Equal(original, reordered);
        Assert.NotEqual(original, changed);
    }

    [Fact]
    public void an_invalid_price_fails_with_the_offending_key()
    {
        var error = Assert.Throws<InvalidOperationException>(() => PlanCatalogueLoader.Load(Config(("Billing:Plans:x:Currency", "USD"), ("Billing:Plans:x:BaseFeeMinor", "-1"))));
        Assert.Contains("Billing:Plans:x:BaseFeeMinor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_period_runs_from_local_midnight_to_local_midnight_across_dst()
    {
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var march = BillingPeriod.Parse("2026-03");
        Assert.Equal(DateTimeOffset.Parse("2026-03-01T05:00:00Z"), march.StartUtc(newYork));
        Assert.Equal(DateTimeOffset.Parse("2026-04-01T04:00:00Z"), march.EndUtc(newYork));
        Assert.Equal(31, march.Days);
        Assert.Equal(march, BillingPeriod.Containing(DateTimeOffset.Parse("2026-04-01T03:59:00Z"), newYork));
        Assert.Equal(march.Next, BillingPeriod.Containing(DateTimeOffset.Parse("2026-04-01T04:00:00Z"), newYork));
    }
}
