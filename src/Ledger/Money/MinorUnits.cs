namespace Billing.Ledger.Money;

/// <summary>The ledger's one rounding rule: an exact decimal amount in minor units is rounded
/// to a whole minor unit half away from zero (0.5 → 1, -0.5 → -1), once per invoice line.
/// Totals are sums of rounded lines, so a total always equals what the lines show
/// (lago-api#821: drift from rounding totals separately).</summary>
public static class MinorUnits
{
    public static long Round(decimal exactMinor) =>
        checked((long)decimal.Round(exactMinor, 0, MidpointRounding.AwayFromZero));
}
