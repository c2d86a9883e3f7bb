using Billing.Ledger.Invoicing;
using Billing.Ledger.Pricing;

namespace Billing.Ledger.Tests.Invoicing;

/// <summary>Drafts with hand-computed totals on the default catalogue (USD cents): starter
/// 2,900 base + api_calls 10,000 included then 0.2/call; business 9,900 base + 100,000 included
/// then 0.1/call up to 400,000 over and 0.05 beyond.</summary>
public sealed class InvoiceCalculatorTests
{
    private static readonly PlanCatalogue Catalogue = PlanCatalogueLoader.Create(DefaultPlans.All);
    private static readonly BillingPeriod March = BillingPeriod.Parse("2026-03");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    private static InvoiceInputs Inputs(
        Dictionary<string, decimal>? usage = null, PlanFrom[]? plans = null, LateUsage[]? late = null, AdjustmentRecorded[]? adjustments = null, long credit = 0) =>
        new("acme", March, NewYork, "USD", plans ?? [new(new DateOnly(2026, 1, 1), "starter")], usage ?? [], late ?? [], adjustments ?? [], credit, DateTimeOffset.Parse("2026-04-02T12:00:00Z"));

    private static AdjustmentRecorded Adjustment(string kind, long amount) =>
        new("adj_" + kind + amount, kind, amount, "USD", "goodwill", "key:ops", DateTimeOffset.Parse("2026-03-20T00:00:00Z"));

    [Fact]
    public void usage_exactly_at_the_included_boundary_bills_only_the_base_fee()
    {
        var draft = InvoiceCalculator.Draft(Inputs(new() { ["api_calls"] = 10_000, ["storage_gb"] = 10 }), Catalogue);
        Assert.Equal(2_900, draft.TotalMinor);
        var calls = Assert.Single(draft.Lines, l => l.Metric == "api_calls");
        Assert.Equal((10_000m, 10_000m, 0m, 0L), (calls.Quantity, calls.IncludedQuantity, calls.BillableQuantity, calls.AmountMinor));
    }

    [Fact]
    public void graduated_tiers_apply_to_the_overage()
    {
        // 9,900 + (400,000 x 0.1 + 100,000 x 0.05 = 45,000).
        var draft = InvoiceCalculator.Draft(Inputs(new() { ["api_calls"] = 600_000 }, [new(new DateOnly(2026, 1, 1), "business")]), Catalogue);
        Assert.Equal(54_900, draft.TotalMinor);
    }

    [Fact]
    public void a_mid_period_plan_change_prorates_the_base_fee_by_local_days_and_prices_usage_on_the_new_plan()
    {
        // starter 1-10 March: 2,900 x 10/31 = 935.48 -> 935; business 11-31: 9,900 x 21/31 = 6,706.45 -> 6,706;
        // 150,000 calls on business: 50,000 over x 0.1 = 5,000. Total 12,641.
        var draft = InvoiceCalculator.Draft(
            Inputs(new() { ["api_calls"] = 150_000 }, [new(new DateOnly(2026, 1, 1), "starter"), new(new DateOnly(2026, 3, 11), "business")]), Catalogue);
        Assert.Equal([935L, 6_706L], draft.Lines.Where(l => l.Kind == LineKinds.BaseFee).Select(l => l.AmountMinor));
        Assert.Equal(12_641, draft.TotalMinor);
        Assert.Equal("business", draft.PlanId);
    }

    [Fact]
    public void a_tenant_created_mid_period_pays_for_its_days_only()
    {
        // 2,900 x 7/31 = 654.84 -> 655.
        var draft = InvoiceCalculator.Draft(Inputs(plans: [new(new DateOnly(2026, 3, 25), "starter")]), Catalogue);
        Assert.Equal(655, draft.TotalMinor);
    }

    [Fact]
    public void late_usage_is_a_labelled_line_priced_by_the_difference_it_makes_to_its_period()
    {
        // February had 10,000 accounted (all included); 2,500 more arrived late: 2,500 x 0.2 = 500.
        var draft = InvoiceCalculator.Draft(Inputs(late: [new("2026-02", "api_calls", 10_000, 12_500, "starter")]), Catalogue);
        var line = Assert.Single(draft.Lines, l => l.Kind == LineKinds.LateUsage);
        Assert.Equal((500L, "2026-02", 2_500m), (line.AmountMinor, line.ForPeriod, line.Quantity));
        Assert.Contains("Late usage for 2026-02", line.Description, StringComparison.Ordinal);
        Assert.Equal(3_400, draft.TotalMinor);
        Assert.Contains(new UsageAccounted("2026-02", "api_calls", 2_500), draft.Usage);
    }

    [Fact]
    public void a_credit_larger_than_the_invoice_leaves_a_zero_total_and_carries_the_rest_forward()
    {
        // 2,900 - 5,000 = -2,100 -> carried forward 2,100, total 0.
        var draft = InvoiceCalculator.Draft(Inputs(adjustments: [Adjustment(AdjustmentKinds.Credit, 5_000)]), Catalogue);
        Assert.Equal(0, draft.TotalMinor);
        Assert.Equal(2_100, Assert.Single(draft.Lines, l => l.Kind == LineKinds.CreditCarriedForward).AmountMinor);
        Assert.Equal(draft.TotalMinor, draft.Lines.Sum(l => l.AmountMinor));
    }

    [Fact]
    public void credit_brought_forward_and_charges_are_lines_of_the_total()
    {
        // 2,900 + 1,234 charge - 2,100 credit balance = 2,034.
        var draft = InvoiceCalculator.Draft(Inputs(adjustments: [Adjustment(AdjustmentKinds.Charge, 1_234)], credit: 2_100), Catalogue);
        Assert.Equal(2_034, draft.TotalMinor);
        Assert.Equal(-2_100, Assert.Single(draft.Lines, l => l.Kind == LineKinds.CreditBroughtForward).AmountMinor);
    }

    [Fact]
    public void non_billable_usage_is_accounted_but_never_invoiced()
    {
        var draft = InvoiceCalculator.Draft(Inputs(new() { ["logins"] = 1_000_000 }), Catalogue);
        Assert.Equal(2_900, draft.TotalMinor);
        Assert.DoesNotContain(draft.Lines, l => l.Metric == "logins");
        Assert.Contains(new UsageAccounted("2026-03", "logins", 1_000_000), draft.Usage);
    }

    [Fact]
    public void the_draft_records_the_catalogue_version_and_the_local_period_bounds()
    {
        var draft = InvoiceCalculator.Draft(Inputs(), Catalogue);
        Assert.Equal(Catalogue.Version, draft.CatalogueVersion);
        Assert.Equal((DateTimeOffset.Parse("2026-03-01T05:00:00Z"), DateTimeOffset.Parse("2026-04-01T04:00:00Z")), (draft.PeriodStart, draft.PeriodEnd));
    }
}
