namespace Billing.Host.Exports;

/// <summary>GL account codes per line kind (<c>Billing:Accounting:Accounts:&lt;name&gt;</c>), so
/// the export fits any chart of accounts without code changes.</summary>
public sealed record AccountingAccounts(IReadOnlyDictionary<string, string> Codes)
{
    public const string Receivables = "receivables";
    public const string SubscriptionRevenue = "subscription_revenue";
    public const string UsageRevenue = "usage_revenue";
    public const string OtherRevenue = "other_revenue";
    public const string Credits = "credits";
    public const string CustomerCredit = "customer_credit";
    public const string Refunds = "refunds";
    public const string Cash = "cash";

    private static readonly Dictionary<string, string> Defaults = new(StringComparer.Ordinal)
    {
        [Receivables] = "1200",
        [Cash] = "1000",
        [CustomerCredit] = "2300",
        [SubscriptionRevenue] = "4000",
        [UsageRevenue] = "4010",
        [OtherRevenue] = "4020",
        [Credits] = "4900",
        [Refunds] = "4910",
    };

    public string CodeOf(string account) => Codes.GetValueOrDefault(account) ?? Defaults[account];

    public static AccountingAccounts From(IConfiguration configuration)
    {
        var codes = new Dictionary<string, string>(Defaults, StringComparer.Ordinal);
        foreach (var child in configuration.GetSection("Billing:Accounting:Accounts").GetChildren())
        {
            if (!Defaults.ContainsKey(child.Key) || string.IsNullOrWhiteSpace(child.Value))
            {
                throw new InvalidOperationException($"Billing:Accounting:Accounts:{child.Key} is not a known account ({string.Join(", ", Defaults.Keys)}) or is empty.");
            }

            codes[child.Key] = child.Value;
        }

        return new AccountingAccounts(codes);
    }
}
