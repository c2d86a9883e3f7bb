using Billing.Ledger.Money;

namespace Billing.Ledger.Pricing;

/// <summary>Base-fee proration by days. A plan is billed for the local calendar days it was in
/// effect: a change takes effect from the local date it was made on (that whole day is billed
/// at the new plan). Each plan's share is <c>fee × days ÷ days in period</c>, rounded half away
/// from zero on its own line.</summary>
public static class Proration
{
    public static long Prorate(long baseFeeMinor, int days, int daysInPeriod)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        ArgumentOutOfRangeException.ThrowIfLessThan(daysInPeriod, 1);
        if (days >= daysInPeriod)
        {
            return baseFeeMinor;
        }

        return MinorUnits.Round((decimal)baseFeeMinor * days / daysInPeriod);
    }
}
