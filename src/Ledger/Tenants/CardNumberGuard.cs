namespace Billing.Ledger.Tenants;

/// <summary>We never accept or store card data (PCI scope). Any text holding a run of 13–19
/// digits — optionally grouped by spaces or dashes — that passes the Luhn check is treated as a
/// card number and refused, whatever field it arrives in.</summary>
public static class CardNumberGuard
{
    public static bool LooksLikeCardNumber(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var digits = new List<int>(19);
        for (var i = 0; i <= text.Length; i++)
        {
            var c = i < text.Length ? text[i] : '\0';
            if (char.IsAsciiDigit(c))
            {
                digits.Add(c - '0');
            }
            else if ((c == ' ' || c == '-') && digits.Count > 0 && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))
            {
                continue;
            }
            else
            {
                if (digits.Count is >= 13 and <= 19 && PassesLuhn(digits))
                {
                    return true;
                }

                digits.Clear();
            }
        }

        return false;
    }

    public static bool PassesLuhn(IReadOnlyList<int> digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Count; i++)
        {
            var d = digits[digits.Count - 1 - i];
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }
}
