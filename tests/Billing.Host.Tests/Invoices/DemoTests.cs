using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Host.Invoices;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Pricing;

namespace Billing.Host.Tests.Invoices;

public sealed class DemoTests(BillingApi api) : IClassFixture<BillingApi>
{
    [Fact]
    public async Task the_demo_scenario_meters_a_month_and_finalizes_three_invoices_on_different_plans()
    {
        var outcome = await BillingDemo.RunScenarioAsync(api.App.Services, api.Clock, BillingPeriod.Parse("2026-05"), "t1", CancellationToken.None);

        Assert.Equal(3 * 31 * 26, outcome.Events);
        var results = outcome.Closed.Select(c => c.Result!).ToList();
        Assert.All(outcome.Closed, c => Assert.Null(c.Error));
        Assert.All(results, r => Assert.Equal(CloseOutcome.Finalized, r.Outcome));
        Assert.Equal(3, results.Select(r => r.Number).Distinct().Count());
        Assert.Equal(["business", "enterprise", "starter"], outcome.Tenants.Values.Select(v => v.Split(" / ")[0]).Order());

        foreach (var result in results)
        {
            var invoice = await api.Http.GetFromJsonAsync<JsonElement>("/v1/invoices/" + result.InvoiceId);
            var lines = invoice.GetProperty("lines").EnumerateArray().ToList();
            Assert.Equal(result.TotalMinor, lines.Sum(l => l.GetProperty("amountMinor").GetInt64()));
            Assert.Contains(lines, l => l.GetProperty("kind").GetString() == LineKinds.Usage && l.GetProperty("billableQuantity").GetDecimal() > 0);
            Assert.Equal(HttpStatusCode.OK, (await api.Http.GetAsync($"/v1/invoices/{result.InvoiceId}/pdf")).StatusCode);
        }

        // globex moved from starter to business on the 12th: two prorated base-fee lines.
        var globex = results.Single(r => r.TenantId.StartsWith("globex", StringComparison.Ordinal));
        var globexLines = (await api.Http.GetFromJsonAsync<JsonElement>("/v1/invoices/" + globex.InvoiceId)).GetProperty("lines").EnumerateArray();
        Assert.Equal(2, globexLines.Count(l => l.GetProperty("kind").GetString() == LineKinds.BaseFee));
    }
}
