using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Pricing;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Host.Tests.Invoices;

public sealed class InvoiceCorrectionTests(BillingApi api) : IClassFixture<BillingApi>
{
    [Fact]
    public async Task voiding_needs_a_reason_and_a_voided_invoice_owes_nothing()
    {
        await api.Http.PostAsync("/v1/tenants", Json.Body("""{"tenantId":"inv-void","name":"V","planId":"starter","currency":"USD","billingEmail":"v@v.test","timeZone":"UTC"}"""));
        api.Clock.SetTo(DateTimeOffset.Parse("2026-04-05T00:00:00Z"));
        var closed = await api.App.Services.GetRequiredService<InvoicePeriodClose>().CloseAsync("inv-void", BillingPeriod.Parse("2026-03"), "system:test", CancellationToken.None);
        var id = closed.InvoiceId;

        Assert.Equal(HttpStatusCode.BadRequest, (await api.Http.PostAsync($"/v1/invoices/{id}/void", Json.Body("""{"reason":""}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.Http.PostAsync($"/v1/invoices/{id}/void", Json.Body("""{"reason":"issued in error"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await api.Http.PostAsync($"/v1/invoices/{id}/void", Json.Body("""{"reason":"again"}"""))).StatusCode);

        var invoice = await api.Http.GetFromJsonAsync<JsonElement>("/v1/invoices/" + id);
        Assert.Equal(("void", 0L), (invoice.GetProperty("status").GetString(), invoice.GetProperty("amountDueMinor").GetInt64()));
        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.PostAsync("/v1/invoices/in_none/void", Json.Body("""{"reason":"x"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.Http.PostAsync($"/v1/invoices/{id}/void", Json.Body("""{"reason":"""))).StatusCode);
    }
}
