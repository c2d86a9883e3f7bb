using System.Collections.Frozen;

namespace Billing.Ledger.Money;

/// <summary>ISO-4217 currencies the ledger accepts, with their minor-unit exponent
/// (USD 2: 1 dollar = 100 minor units; JPY 0; KWD 3). Amounts are always <c>long</c> minor
/// units of one of these; an unknown code is refused rather than guessed.</summary>
public static class Currencies
{
    private static readonly FrozenDictionary<string, int> Exponents = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["USD"] = 2, ["EUR"] = 2, ["GBP"] = 2, ["CHF"] = 2, ["CAD"] = 2, ["AUD"] = 2, ["NZD"] = 2,
        ["SEK"] = 2, ["NOK"] = 2, ["DKK"] = 2, ["PLN"] = 2, ["CZK"] = 2, ["HUF"] = 2, ["BRL"] = 2,
        ["MXN"] = 2, ["INR"] = 2, ["SGD"] = 2, ["HKD"] = 2, ["CNY"] = 2, ["ZAR"] = 2, ["ILS"] = 2,
        ["JPY"] = 0, ["KRW"] = 0, ["CLP"] = 0, ["ISK"] = 0, ["VND"] = 0,
        ["KWD"] = 3, ["BHD"] = 3, ["JOD"] = 3, ["OMR"] = 3, ["TND"] = 3,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static bool IsKnown(string? code) => code is not null && Exponents.ContainsKey(code);

    public static int ExponentOf(string code) =>
        Exponents.TryGetValue(code, out var exponent)
            ? exponent
            : throw new ArgumentException($"'{code}' is not a supported ISO-4217 currency code.", nameof(code));

    /// <summary>Formats minor units as a decimal amount with the currency's exponent
    /// (<c>123456 USD</c> → <c>1234.56 USD</c>), without floating point.</summary>
    public static string Format(long minor, string currency)
    {
        var exponent = ExponentOf(currency);
        var amount = new decimal(Math.Abs(minor)) / Pow10(exponent);
        var text = amount.ToString("F" + exponent.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
        return (minor < 0 ? "-" : "") + text + " " + currency;
    }

    private static decimal Pow10(int exponent)
    {
        var value = 1m;
        for (var i = 0; i < exponent; i++)
        {
            value *= 10;
        }

        return value;
    }
}
