using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Host.Tests.Invoices;

namespace Billing.Host.Tests.Tenants;

public sealed class TenantApiTests(BillingApi api) : IClassFixture<BillingApi>
{
    private static string Tenant(string id, string plan = "starter", string extra = "") => $$"""
        {"tenantId":"{{id}}","name":"Acme","planId":"{{plan}}","currency":"USD","billingEmail":"billing@acme.test",
         "timeZone":"Europe/Berlin","stripeCustomerId":"cus_Acme1","defaultPaymentMethod":"pm_card_visa"{{extra}}}
        """;

    [Fact]
    public async Task creating_a_tenant_returns_201_with_its_etag_and_it_can_be_read_back()
    {
        var created = await api.Http.PostAsync("/v1/tenants", Json.Body(Tenant("t-create")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("\"1\"", created.Headers.ETag!.Tag);

        var read = await api.Http.GetFromJsonAsync<JsonElement>("/v1/tenants/t-create");
        Assert.Equal("Europe/Berlin", read.GetProperty("timeZone").GetString());
        Assert.Equal("cus_Acme1", read.GetProperty("stripeCustomerId").GetString());
        Assert.Equal(1, read.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task creating_the_same_tenant_twice_is_a_409()
    {
        await api.Http.PostAsync("/v1/tenants", Json.Body(Tenant("t-twice")));
        var again = await api.Http.PostAsync("/v1/tenants", Json.Body(Tenant("t-twice")));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType!.MediaType);
    }

    [Theory]
    [InlineData("{\"tenantId\":", "malformed_json")]
    [InlineData("[1,2]", "invalid_request")]
    [InlineData("{\"tenantId\":\"t-x\"}", "missing_fields")]
    public async Task bad_bodies_are_400_problem_details(string body, string code)
    {
        var response = await api.Http.PostAsync("/v1/tenants", Json.Body(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData(",\"notes\":\"card 4242 4242 4242 4242\"")]
    [InlineData(",\"ref\":4111111111111111")]
    public async Task a_card_number_anywhere_in_the_body_is_refused_and_nothing_is_stored(string extra)
    {
        var response = await api.Http.PostAsync("/v1/tenants", Json.Body(Tenant("t-card", extra: extra)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("card_data_refused", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.GetAsync("/v1/tenants/t-card")).StatusCode);
    }

    [Fact]
    public async Task an_unknown_time_zone_is_a_400()
    {
        var response = await api.Http.PostAsync("/v1/tenants", Json.Body(Tenant("t-tz").Replace("Europe/Berlin", "Mars/Olympus", StringComparison.Ordinal)));
        Assert.Equal("invalid_time_zone", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task an_update_with_a_stale_if_match_is_a_409_and_a_fresh_one_changes_the_plan()
    {
        await api.Http.PostAsync("/v1/tenants", Json.Body(Tenant("t-upd")));
        var stale = new HttpRequestMessage(HttpMethod.Put, "/v1/tenants/t-upd") { Content = Json.Body(Tenant("t-upd", "business")) };
        stale.Headers.IfMatch.ParseAdd("\"7\"");
        Assert.Equal(HttpStatusCode.Conflict, (await api.Http.SendAsync(stale)).StatusCode);

        var fresh = new HttpRequestMessage(HttpMethod.Put, "/v1/tenants/t-upd") { Content = Json.Body(Tenant("t-upd", "business")) };
        fresh.Headers.IfMatch.ParseAdd("\"1\"");
        var response = await api.Http.SendAsync(fresh);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"2\"", response.Headers.ETag!.Tag);
        Assert.Equal("business", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("planId").GetString());
    }

    [Fact]
    public async Task updating_a_missing_tenant_is_a_404() =>
        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.PutAsync("/v1/tenants/t-nobody", Json.Body(Tenant("t-nobody")))).StatusCode);

    [Fact]
    public async Task a_tenant_key_sees_its_own_tenant_and_gets_404_for_another()
    {
        await api.Http.PostAsync("/v1/tenants", Json.Body(Tenant("t-own")));
        await api.Http.PostAsync("/v1/tenants", Json.Body(Tenant("t-other")));
        using var own = await api.AsTenantAsync("t-own");
        Assert.Equal(HttpStatusCode.OK, (await own.GetAsync("/v1/tenants/t-own")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await own.GetAsync("/v1/tenants/t-other")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await own.PostAsync("/v1/tenants", Json.Body(Tenant("t-sneaky")))).StatusCode);
    }

    [Fact]
    public async Task the_list_reads_the_tenants_read_model()
    {
        await api.Http.PostAsync("/v1/tenants", Json.Body(Tenant("t-listed")));
        var list = await api.Http.GetFromJsonAsync<JsonElement>("/v1/tenants");
        Assert.Contains(list.EnumerateArray(), t => t.GetProperty("tenantId").GetString() == "t-listed" && t.GetProperty("planId").GetString() == "starter");
    }

    [Fact]
    public async Task an_if_match_that_is_not_an_etag_of_this_api_is_a_400()
    {
        await api.Http.PostAsync("/v1/tenants", Json.Body(Tenant("t-ifm")));
        var request = new HttpRequestMessage(HttpMethod.Put, "/v1/tenants/t-ifm") { Content = Json.Body(Tenant("t-ifm", "business")) };
        request.Headers.TryAddWithoutValidation("If-Match", "\"abc\"");
        var response = await api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_if_match", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }
}
