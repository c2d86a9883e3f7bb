using System.Globalization;
using System.Text;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Money;
using Npgsql;

namespace Billing.Host.Exports;

/// <summary>One GL posting. Every journal (one invoice's finalization, payment, refund or credit
/// note) has debits equal to credits.</summary>
public sealed record GlRow(DateTimeOffset Date, string Journal, string InvoiceNumber, string TenantId, string Account, string Description, long DebitMinor, long CreditMinor, string Currency);

/// <summary>The accounting CSV: GL-coded rows for invoices finalized, paid, refunded or credited
/// in [from, to). Finalization debits receivables with the total and credits revenue per line
/// kind; credits and credit balance used are debits; credit carried forward is a liability.</summary>
public sealed partial class AccountingExport(NpgsqlDataSource db, AccountingAccounts accounts)
{
    public async Task<IReadOnlyList<GlRow>> RowsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var rows = new List<GlRow>();
        foreach (var (invoice, lines) in await FinalizedAsync(from, to, ct))
        {
            var journal = invoice.Number + ":finalized";
            rows.Add(Row(invoice, journal, AccountingAccounts.Receivables, "Invoice total", invoice.Total, 0));
            foreach (var (kind, description, amount) in lines.Where(l => l.Amount != 0))
            {
                var (account, debit) = Posting(kind);
                rows.Add(debit
                    ? Row(invoice, journal, account, description, Math.Abs(amount), 0)
                    : Row(invoice, journal, account, description, 0, amount));
            }
        }

        foreach (var e in await SettlementsAsync(from, to, ct))
        {
            var journal = $"{e.Invoice.Number}:{e.Kind}:{e.Reference}";
            var (debitAccount, creditAccount) = e.Kind switch
            {
                "paid" => (AccountingAccounts.Cash, AccountingAccounts.Receivables),
                "refund" => (AccountingAccounts.Refunds, AccountingAccounts.Cash),
                _ => (AccountingAccounts.Credits, AccountingAccounts.Receivables),
            };
            rows.Add(Row(e.Invoice, journal, debitAccount, e.Description, e.Amount, 0, e.At));
            rows.Add(Row(e.Invoice, journal, creditAccount, e.Description, 0, e.Amount - e.ToBalance, e.At));
            if (e.ToBalance > 0)
            {
                rows.Add(Row(e.Invoice, journal, AccountingAccounts.CustomerCredit, "Credit note to tenant balance", 0, e.ToBalance, e.At));
            }
        }

        return rows.OrderBy(r => r.Date).ThenBy(r => r.Journal, StringComparer.Ordinal).ToList();
    }

    /// <summary>Which account a line of each kind posts to, and whether it is a debit.</summary>
    private static (string Account, bool Debit) Posting(string kind) => kind switch
    {
        LineKinds.BaseFee => (AccountingAccounts.SubscriptionRevenue, false),
        LineKinds.Usage or LineKinds.LateUsage => (AccountingAccounts.UsageRevenue, false),
        LineKinds.AdjustmentCharge => (AccountingAccounts.OtherRevenue, false),
        LineKinds.AdjustmentCredit => (AccountingAccounts.Credits, true),
        LineKinds.CreditBroughtForward => (AccountingAccounts.CustomerCredit, true),
        LineKinds.CreditCarriedForward => (AccountingAccounts.CustomerCredit, false),
        _ => throw new InvalidOperationException($"No GL posting for line kind '{kind}'."),
    };

    private GlRow Row(InvoiceRef i, string journal, string account, string description, long debit, long credit, DateTimeOffset? at = null) =>
        new(at ?? i.FinalizedAt, journal, i.Number, i.TenantId, accounts.CodeOf(account), description, debit, credit, i.Currency);

    public static string ToCsv(IEnumerable<GlRow> rows)
    {
        var csv = new StringBuilder("date,journal,invoice_number,tenant_id,account_code,description,debit,credit,currency\n");
        foreach (var r in rows)
        {
            csv.AppendJoin(',', r.Date.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Field(r.Journal), Field(r.InvoiceNumber), Field(r.TenantId),
                Field(r.Account), Field(r.Description), Amount(r.DebitMinor, r.Currency), Amount(r.CreditMinor, r.Currency), r.Currency).Append('\n');
        }

        return csv.ToString();
    }

    private static string Amount(long minor, string currency) => Currencies.Format(minor, currency).Split(' ')[0];

    /// <summary>Quotes as RFC 4180 and defuses spreadsheet formulas (a leading = + - @).</summary>
    private static string Field(string value)
    {
        var safe = value.Length > 0 && "=+-@".Contains(value[0], StringComparison.Ordinal) ? "'" + value : value;
        return safe.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : safe;
    }
}
