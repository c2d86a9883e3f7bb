using Billing.Ledger.Money;

namespace Billing.Ledger.Tests.Money;

public sealed class MoneyTests
{
    [Theory]
    [InlineData("0.5", 1)]
    [InlineData("1.5", 2)]
    [InlineData("2.5", 3)]
    [InlineData("-0.5", -1)]
    [InlineData("-2.5", -3)]
    [InlineData("0.4999", 0)]
    [InlineData("1234.5000001", 1235)]
    public void rounding_is_half_away_from_zero(string exact, long expected) =>
        Assert.Equal(expected, MinorUnits.Round(decimal.Parse(exact, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData(123456, "USD", "1234.56 USD")]
    [InlineData(-5, "EUR", "-0.05 EUR")]
    [InlineData(500, "JPY", "500 JPY")]
    [InlineData(1234, "KWD", "1.234 KWD")]
    public void amounts_format_with_the_currency_exponent(long minor, string currency, string expected) =>
        Assert.Equal(expected, Currencies.Format(minor, currency));

    [Fact]
    public void unknown_currencies_are_refused()
    {
        Assert.False(Currencies.IsKnown("XYZ"));
        Assert.Throws<ArgumentException>(() => Currencies.ExponentOf("usd"));
    }
}
