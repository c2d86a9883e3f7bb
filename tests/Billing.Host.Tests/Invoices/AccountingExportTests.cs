using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Host.Auth;
using Billing.Ledger.Invoicing;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Host.Tests.Invoices;

public sealed class AccountingExportTests(InvoicedWorld api) : IClassFixture<InvoicedWorld>
{
    private static List<Dictionary<string, string>> Parse(string csv)
    {
        var lines = csv.TrimEnd('\n').Split('\n');
        var header = lines[0].Split(',');
        // Descriptions in these fixtures contain commas only inside quotes; split on the quote-aware pattern.
        return lines.Skip(1).Select(l => System.Text.RegularExpressions.Regex.Split(l, ",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)"))
            .Select(f => header.Zip(f).ToDictionary(p => p.First, p => p.Second.Trim('"'))).ToList();
    }

    private static decimal Amount(string text) => decimal.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public async Task every_journal_balances_and_receivables_carry_each_invoice_total()
    {
        var first = (await api.Http.GetFromJsonAsync<JsonElement>("/v1/invoices?tenant=inv-a")).GetProperty("items")[0];
        var actions = api.App.Services.GetRequiredService<InvoiceActions>();
        await actions.DecideAsync(first.GetProperty("invoiceId").GetString()!, now => new MarkInvoicePaid(first.GetProperty("totalMinor").GetInt64(), "pi_1", now, "stripe", "charge succeeded"), "stripe", CancellationToken.None);

        var response = await api.Http.GetAsync("/v1/exports/accounting.csv?from=2026-04-01&to=2026-04-30");
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var rows = Parse(await response.Content.ReadAsStringAsync());

        Assert.All(rows.GroupBy(r => r["journal"]), j => Assert.Equal(j.Sum(r => Amount(r["debit"])), j.Sum(r => Amount(r["credit"]))));
        var receivables = rows.Where(r => r["account_code"] == "1200" && r["journal"].EndsWith(":finalized", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, receivables.Count);
        Assert.Equal(first.GetProperty("totalMinor").GetInt64() / 100m, Amount(receivables.Single(r => r["tenant_id"] == "inv-a")["debit"]));
        Assert.Contains(rows, r => r["account_code"] == "4000");
        Assert.Contains(rows, r => r["account_code"] == "4010" && Amount(r["credit"]) > 0);
        Assert.Contains(rows, r => r["account_code"] == "1000" && r["journal"].Contains(":paid:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_range_without_activity_has_only_the_header()
    {
        var csv = await api.Http.GetStringAsync("/v1/exports/accounting.csv?from=2025-01-01&to=2025-01-31");
        Assert.Equal("date,journal,invoice_number,tenant_id,account_code,description,debit,credit,currency\n", csv);
    }

    [Theory]
    [InlineData("?from=2026-04-30&to=2026-04-01")]
    [InlineData("?from=April&to=2026-04-01")]
    [InlineData("")]
    public async Task a_bad_range_is_a_400(string query) =>
        Assert.Equal(HttpStatusCode.BadRequest, (await api.Http.GetAsync("/v1/exports/accounting.csv" + query)).StatusCode);

    [Fact]
    public async Task tenant_keys_cannot_export()
    {
        using var client = await api.AsTenantAsync("inv-a");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/v1/exports/accounting.csv?from=2026-04-01&to=2026-04-30")).StatusCode);
        using var finance = await api.AsRoleAsync(Roles.Finance);
        Assert.Equal(HttpStatusCode.OK, (await finance.GetAsync("/v1/exports/accounting.csv?from=2026-04-01&to=2026-04-30")).StatusCode);
    }
}
