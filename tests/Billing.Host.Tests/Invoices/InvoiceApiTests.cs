using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Pricing;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Host.Tests.Invoices;

/// <summary>Three tenants on different plans and zones, with March usage sent over HTTP and March
/// closed and finalized once for the class.</summary>
public sealed class InvoicedWorld : BillingApi
{
    public static readonly string[] Tenants = ["inv-a", "inv-b", "inv-c"];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        foreach (var (id, plan, zone) in new[] { ("inv-a", "starter", "America/New_York"), ("inv-b", "business", "Europe/Berlin"), ("inv-c", "starter", "Asia/Tokyo") })
        {
            var created = await Http.PostAsync("/v1/tenants", Json.Body($$"""{"tenantId":"{{id}}","name":"Tenant {{id}}","planId":"{{plan}}","currency":"USD","billingEmail":"ap@{{id}}.test","timeZone":"{{zone}}"}"""));
            created.EnsureSuccessStatusCode();
        }

        var usage = await Http.PostAsync("/v1/usage", Json.Body("""
            {"events":[{"id":"u1","tenantId":"inv-a","metric":"api_calls","quantity":20000,"timestamp":"2026-03-15T11:00:00Z"},
                       {"id":"u2","tenantId":"inv-b","metric":"api_calls","quantity":150000,"timestamp":"2026-03-15T11:00:00Z"}]}
            """));
        usage.EnsureSuccessStatusCode();
        Clock.SetTo(DateTimeOffset.Parse("2026-04-02T06:00:00Z"));
        var results = await App.Services.GetRequiredService<InvoicePeriodClose>().CloseManyAsync(null, BillingPeriod.Parse("2026-03"), "system:test", CancellationToken.None);
        // The Host's own job worker may have run the scheduled close first (then this one is Unchanged).
        Assert.All(results, r => Assert.Equal(InvoiceStatuses.Open, r.Result!.Status));
    }
}

public sealed class InvoiceApiTests(InvoicedWorld api) : IClassFixture<InvoicedWorld>
{
    private async Task<JsonElement> GetJsonAsync(string url, HttpClient? client = null) =>
        await (client ?? api.Http).GetFromJsonAsync<JsonElement>(url);

    private async Task<string> InvoiceIdOfAsync(string tenant) =>
        (await GetJsonAsync($"/v1/invoices?tenant={tenant}")).GetProperty("items")[0].GetProperty("invoiceId").GetString()!;

    [Theory]
    [InlineData("", 3)]
    [InlineData("?tenant=inv-b", 1)]
    [InlineData("?status=open", 3)]
    [InlineData("?status=draft", 0)]
    [InlineData("?periodFrom=2026-03&periodTo=2026-03", 3)]
    [InlineData("?periodFrom=2026-04", 0)]
    public async Task the_list_filters_by_tenant_status_and_period(string query, int expected) =>
        Assert.Equal(expected, (await GetJsonAsync("/v1/invoices" + query)).GetProperty("items").GetArrayLength());

    [Fact]
    public async Task the_list_pages_with_an_opaque_cursor()
    {
        var first = await GetJsonAsync("/v1/invoices?limit=2");
        var cursor = first.GetProperty("nextCursor").GetString();
        var second = await GetJsonAsync($"/v1/invoices?limit=2&cursor={cursor}");

        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);
        var ids = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).Select(i => i.GetProperty("tenantId").GetString());
        Assert.Equal(InvoicedWorld.Tenants, ids.Order());
    }

    [Theory]
    [InlineData("?cursor=%%%", "invalid_cursor")]
    [InlineData("?periodFrom=March", "invalid_period")]
    [InlineData("?limit=0", "invalid_limit")]
    public async Task bad_list_parameters_are_400_problems(string query, string code)
    {
        var response = await api.Http.GetAsync("/v1/invoices" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task the_detail_shows_lines_whose_sum_is_the_total()
    {
        var invoice = await GetJsonAsync("/v1/invoices/" + await InvoiceIdOfAsync("inv-a"));
        var lines = invoice.GetProperty("lines").EnumerateArray().ToList();
        Assert.Equal(invoice.GetProperty("totalMinor").GetInt64(), lines.Sum(l => l.GetProperty("amountMinor").GetInt64()));
        Assert.Matches("^INV-2026-[0-9]{6}$", invoice.GetProperty("number").GetString());
        // Created 15 March (local): 2,900 x 17/31 = 1,590; 10,000 calls over x 0.2 = 2,000.
        Assert.Equal(3_590, invoice.GetProperty("totalMinor").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.GetAsync("/v1/invoices/in_nope")).StatusCode);
    }

    [Fact]
    public async Task a_tenant_key_sees_only_its_own_invoices()
    {
        using var client = await api.AsTenantAsync("inv-a");
        var own = await GetJsonAsync("/v1/invoices", client);
        Assert.Equal(["inv-a"], own.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("tenantId").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/invoices?tenant=inv-b")).StatusCode);
        var other = await InvoiceIdOfAsync("inv-b");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/invoices/" + other)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/invoices/{other}/pdf")).StatusCode);
    }

    [Fact]
    public async Task the_pdf_has_extractable_text_and_an_etag_that_answers_304()
    {
        var id = await InvoiceIdOfAsync("inv-b");
        var invoice = await GetJsonAsync("/v1/invoices/" + id);
        var response = await api.Http.GetAsync($"/v1/invoices/{id}/pdf");

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Equal("application/pdf", response.Content.Headers.ContentType!.MediaType);
        var text = Encoding.Latin1.GetString(await response.Content.ReadAsByteArrayAsync());
        Assert.StartsWith("%PDF-", text, StringComparison.Ordinal);
        Assert.Contains("(Invoice " + invoice.GetProperty("number").GetString() + ")", text, StringComparison.Ordinal);
        Assert.Contains("2026-03", text, StringComparison.Ordinal);
        Assert.Contains("(Total)", text, StringComparison.Ordinal);
        Assert.Contains("(" + (invoice.GetProperty("totalMinor").GetInt64() / 100m).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + " USD)", text, StringComparison.Ordinal);

        var conditional = new HttpRequestMessage(HttpMethod.Get, $"/v1/invoices/{id}/pdf");
        conditional.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await api.Http.SendAsync(conditional)).StatusCode);
    }

    [Fact]
    public async Task a_credit_note_changes_the_invoice_version_and_so_the_pdf_etag()
    {
        var id = await InvoiceIdOfAsync("inv-c");
        var before = (await api.Http.GetAsync($"/v1/invoices/{id}/pdf")).Headers.ETag!;
        var tooMuch = await api.Http.PostAsync($"/v1/invoices/{id}/credit-notes", Json.Body("""{"amountMinor":99999999,"reason":"typo"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, tooMuch.StatusCode);

        var credited = await api.Http.PostAsync($"/v1/invoices/{id}/credit-notes", Json.Body("""{"amountMinor":100,"reason":"sla breach"}"""));
        Assert.Equal(HttpStatusCode.OK, credited.StatusCode);

        var conditional = new HttpRequestMessage(HttpMethod.Get, $"/v1/invoices/{id}/pdf");
        conditional.Headers.IfNoneMatch.Add(before);
        var after = await api.Http.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEqual(before, after.Headers.ETag);
        Assert.Equal(100, (await GetJsonAsync("/v1/invoices/" + id)).GetProperty("amountCreditedMinor").GetInt64());
    }

    [Theory]
    [InlineData("inv-a", """{"kind":"credit","amountMinor":500,"reason":"goodwill"}""", HttpStatusCode.Created)]
    [InlineData("inv-a", """{"kind":"gift","amountMinor":500,"reason":"goodwill"}""", HttpStatusCode.BadRequest)]
    [InlineData("inv-a", """{"kind":"credit","amountMinor":-5,"reason":"x"}""", HttpStatusCode.BadRequest)]
    [InlineData("inv-a", """{"kind":"credit",""", HttpStatusCode.BadRequest)]
    [InlineData("inv-zzz", """{"kind":"credit","amountMinor":500,"reason":"goodwill"}""", HttpStatusCode.NotFound)]
    public async Task adjustments_need_a_known_tenant_a_kind_a_positive_amount_and_a_reason(string tenant, string body, HttpStatusCode expected) =>
        Assert.Equal(expected, (await api.Http.PostAsync($"/v1/tenants/{tenant}/adjustments", Json.Body(body))).StatusCode);
}
