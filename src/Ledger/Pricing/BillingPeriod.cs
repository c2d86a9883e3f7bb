using System.Globalization;

namespace Billing.Ledger.Pricing;

/// <summary>A monthly billing period, <c>YYYY-MM</c>, interpreted in a tenant's time zone: it
/// runs from 00:00 local on the 1st to 00:00 local on the 1st of the next month.</summary>
public readonly record struct BillingPeriod(int Year, int Month) : IComparable<BillingPeriod>
{
    public DateOnly FirstDay => new(Year, Month, 1);

    public DateOnly LastDay => FirstDay.AddMonths(1).AddDays(-1);

    public int Days => DateTime.DaysInMonth(Year, Month);

    public BillingPeriod Next => Month == 12 ? new(Year + 1, 1) : new(Year, Month + 1);

    public BillingPeriod Previous => Month == 1 ? new(Year - 1, 12) : new(Year, Month - 1);

    public static BillingPeriod Of(DateOnly day) => new(day.Year, day.Month);

    public static BillingPeriod Containing(DateTimeOffset instant, TimeZoneInfo zone) => Of(LocalDate(instant, zone));

    public static DateOnly LocalDate(DateTimeOffset instant, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    public bool Contains(DateOnly day) => day.Year == Year && day.Month == Month;

    /// <summary>UTC start of the period (00:00 local on the 1st).</summary>
    public DateTimeOffset StartUtc(TimeZoneInfo zone) => LocalMidnightUtc(FirstDay, zone);

    /// <summary>UTC end of the period, exclusive (00:00 local on the 1st of the next month).</summary>
    public DateTimeOffset EndUtc(TimeZoneInfo zone) => LocalMidnightUtc(Next.FirstDay, zone);

    public static DateTimeOffset LocalMidnightUtc(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // A midnight skipped by a DST jump does not exist; the day then starts at the first
        // valid local instant after it.
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    public static bool TryParse(string? text, out BillingPeriod period)
    {
        period = default;
        if (text is null || !DateOnly.TryParseExact(text + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return false;
        }

        period = Of(day);
        return true;
    }

    public static BillingPeriod Parse(string text) =>
        TryParse(text, out var period) ? period : throw new FormatException($"'{text}' is not a billing period (YYYY-MM).");

    public int CompareTo(BillingPeriod other) => (Year * 12 + Month).CompareTo(other.Year * 12 + other.Month);

    public static bool operator <(BillingPeriod a, BillingPeriod b) => a.CompareTo(b) < 0;

    public static bool operator >(BillingPeriod a, BillingPeriod b) => a.CompareTo(b) > 0;

    public static bool operator <=(BillingPeriod a, BillingPeriod b) => a.CompareTo(b) <= 0;

    public static bool operator >=(BillingPeriod a, BillingPeriod b) => a.CompareTo(b) >= 0;

    public override string ToString() => $"{Year:D4}-{Month:D2}";
}
