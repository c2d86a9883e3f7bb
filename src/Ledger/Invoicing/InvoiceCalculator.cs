using System.Globalization;
using Billing.Ledger.Pricing;

namespace Billing.Ledger.Invoicing;

/// <summary>Computes an invoice draft. Pure: no clock, no I/O. Rules (docs/pricing.md):
/// base fee prorated by local days per plan; usage priced on the plan in effect on the period's
/// last day; late usage priced as the difference it makes to its own period's charge; manual
/// adjustments; tenant credit brought forward; a negative sum is brought to zero by a
/// "credit carried forward" line, so the total is the sum of lines and never negative.</summary>
public static class InvoiceCalculator
{
    public static InvoiceDraft Draft(InvoiceInputs input, PlanCatalogue catalogue)
    {
        var lines = new List<InvoiceLine>();
        lines.AddRange(BaseFeeLines(input, catalogue));
        var planAtEnd = input.PlanOn(input.Period.LastDay) ?? input.PlanHistory[^1].PlanId;
        lines.AddRange(UsageLines(input, Plan(catalogue, planAtEnd)));
        lines.AddRange(LateLines(input, catalogue));
        lines.AddRange(input.Adjustments.Select(a => a.Kind == AdjustmentKinds.Charge
            ? new InvoiceLine(LineKinds.AdjustmentCharge, "Adjustment: " + a.Reason, a.AmountMinor, Reference: a.AdjustmentId)
            : new InvoiceLine(LineKinds.AdjustmentCredit, "Credit: " + a.Reason, -a.AmountMinor, Reference: a.AdjustmentId)));
        if (input.CreditBalanceMinor > 0)
        {
            lines.Add(new InvoiceLine(LineKinds.CreditBroughtForward, "Credit balance brought forward", -input.CreditBalanceMinor));
        }

        var sum = lines.Sum(l => l.AmountMinor);
        if (sum < 0)
        {
            lines.Add(new InvoiceLine(LineKinds.CreditCarriedForward, "Credit carried forward to the next invoice", -sum));
        }

        var usage = input.Usage.OrderBy(u => u.Key, StringComparer.Ordinal).Select(u => new UsageAccounted(input.Period.ToString(), u.Key, u.Value))
            .Concat(input.Late.Where(l => l.CurrentQuantity > l.AccountedQuantity).Select(l => new UsageAccounted(l.Period, l.Metric, l.CurrentQuantity - l.AccountedQuantity)))
            .ToList();
        return new InvoiceDraft(input.InvoiceId, input.TenantId, input.Period.ToString(), input.Period.StartUtc(input.Zone), input.Period.EndUtc(input.Zone),
            input.Currency, planAtEnd, catalogue.Version, lines, lines.Sum(l => l.AmountMinor), usage, input.Adjustments.Select(a => a.AdjustmentId).ToList(), input.Now);
    }

    /// <summary>One line per run of consecutive local days on the same plan.</summary>
    private static IEnumerable<InvoiceLine> BaseFeeLines(InvoiceInputs input, PlanCatalogue catalogue)
    {
        var period = input.Period;
        var runs = new List<(string PlanId, DateOnly From, DateOnly To)>();
        for (var day = period.FirstDay; day <= period.LastDay; day = day.AddDays(1))
        {
            if (input.PlanOn(day) is not { } planId)
            {
                continue;
            }

            if (runs.Count > 0 && runs[^1].PlanId == planId && runs[^1].To == day.AddDays(-1))
            {
                runs[^1] = runs[^1] with { To = day };
            }
            else
            {
                runs.Add((planId, day, day));
            }
        }

        foreach (var (planId, from, to) in runs)
        {
            var plan = Plan(catalogue, planId);
            var days = to.DayNumber - from.DayNumber + 1;
            var description = days == period.Days
                ? $"{plan.Name} plan, {period}"
                : $"{plan.Name} plan, {from:yyyy-MM-dd} to {to:yyyy-MM-dd} ({days}/{period.Days} days)";
            yield return new InvoiceLine(LineKinds.BaseFee, description, Proration.Prorate(plan.BaseFeeMinor, days, period.Days), PlanId: planId, Quantity: days);
        }
    }

    private static IEnumerable<InvoiceLine> UsageLines(InvoiceInputs input, Plan plan)
    {
        foreach (var (metric, price) in plan.Metrics.Where(m => m.Value.Billable).OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            var charge = UsagePricing.Price(price, input.Usage.GetValueOrDefault(metric));
            var description = $"{metric}: {Qty(charge.Quantity)} used, {Qty(charge.IncludedQuantity)} included, {Qty(charge.OverageQuantity)} billable";
            yield return new InvoiceLine(LineKinds.Usage, description, charge.AmountMinor, metric, plan.Id, charge.Quantity, charge.IncludedQuantity, charge.OverageQuantity,
                price.Tiers.Count == 0 ? price.UnitPriceMinor : null, input.Period.ToString());
        }
    }

    private static IEnumerable<InvoiceLine> LateLines(InvoiceInputs input, PlanCatalogue catalogue)
    {
        foreach (var late in input.Late.Where(l => l.CurrentQuantity > l.AccountedQuantity).OrderBy(l => l.Period, StringComparer.Ordinal).ThenBy(l => l.Metric, StringComparer.Ordinal))
        {
            var price = catalogue.Find(late.PlanId)?.Metrics.GetValueOrDefault(late.Metric);
            if (price is not { Billable: true })
            {
                continue;
            }

            var extra = late.CurrentQuantity - late.AccountedQuantity;
            var exact = UsagePricing.Price(price, late.CurrentQuantity).ExactMinor - UsagePricing.Price(price, late.AccountedQuantity).ExactMinor;
            yield return new InvoiceLine(LineKinds.LateUsage, $"Late usage for {late.Period}: {late.Metric} {Qty(extra)} received after that invoice was final",
                Money.MinorUnits.Round(exact), late.Metric, late.PlanId, extra, 0, extra, null, late.Period);
        }
    }

    private static Plan Plan(PlanCatalogue catalogue, string planId) =>
        catalogue.Find(planId) ?? throw new InvoiceRejected("unknown_plan", $"Plan '{planId}' is not in the current catalogue (version {catalogue.Version}).");

    private static string Qty(decimal quantity) => quantity.ToString("0.############", CultureInfo.InvariantCulture);
}

/// <summary>An invoice command refused by the rules; <see cref="Code"/> is stable for clients.</summary>
public sealed class InvoiceRejected(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
