using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Host.Auth;
using Billing.Host.Tests.Invoices;
using Npgsql;

namespace Billing.Host.Tests.Usage;

public sealed class UsageApiTests(BillingApi api) : IClassFixture<BillingApi>
{
    private async Task<string> TenantAsync()
    {
        var id = "u-" + Guid.NewGuid().ToString("N")[..8];
        var response = await api.Http.PostAsync("/v1/tenants", Json.Body($$"""
            {"tenantId":"{{id}}","name":"U","planId":"starter","currency":"USD","billingEmail":"a@b.test","timeZone":"America/New_York"}
            """));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    private static string Event(string tenant, string id, string quantity = "1", string at = "2026-03-15T11:00:00Z", string metric = "api_calls") =>
        $$$"""{"id":"{{{id}}}","tenantId":"{{{tenant}}}","metric":"{{{metric}}}","quantity":{{{quantity}}},"timestamp":"{{{at}}}","properties":{"region":"eu"}}""";

    private async Task<long> StoredAsync(string tenant)
    {
        await using var command = api.DataSource.CreateCommand("SELECT count(*) FROM ledger.events WHERE tenant_id = $1 AND type = 'usage.recorded.v1'");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task a_batch_is_answered_per_event_after_commit()
    {
        var t = await TenantAsync();
        var body = $$"""{"events":[{{Event(t, "a")}},{{Event(t, "a")}},{{Event(t, "a", "2")}},{{Event(t, "b", "-1")}},{{Event(t, "c", "\"NaN\"")}},{{Event(t, "d", at: "2026-03-15T11:00:00")}}]}""";
        var response = await api.Http.PostAsync("/v1/usage", Json.Body(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(
            ["accepted", "duplicate", "conflict", "rejected", "rejected", "rejected"],
            json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()));
        Assert.Equal(
            [null, null, "negative_quantity", "invalid_quantity", "invalid_timestamp"],
            json.GetProperty("results").EnumerateArray().Skip(1).Select(r => r.TryGetProperty("reason", out var x) && x.ValueKind == JsonValueKind.String ? (x.GetString()!.StartsWith("same id", StringComparison.Ordinal) ? null : x.GetString()) : null));
        Assert.Equal(1, json.GetProperty("accepted").GetInt32());
        Assert.Equal(1, await StoredAsync(t));
    }

    [Fact]
    public async Task malformed_json_is_a_400_problem_and_appends_nothing()
    {
        var t = await TenantAsync();
        var response = await api.Http.PostAsync("/v1/usage", Json.Body($$"""{"events":[{{Event(t, "a")}},"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("malformed_json", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(0, await StoredAsync(t));
    }

    [Fact]
    public async Task a_batch_over_1000_events_is_a_400_and_appends_nothing()
    {
        var t = await TenantAsync();
        var body = "{\"events\":[" + string.Join(',', Enumerable.Range(0, 1001).Select(i => Event(t, "e" + i))) + "]}";
        var response = await api.Http.PostAsync("/v1/usage", Json.Body(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_batch_size", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(0, await StoredAsync(t));
    }

    [Fact]
    public async Task a_batch_of_exactly_1000_events_is_accepted()
    {
        var t = await TenantAsync();
        var body = "{\"events\":[" + string.Join(',', Enumerable.Range(0, 1000).Select(i => Event(t, "k" + i))) + "]}";
        var json = await (await api.Http.PostAsync("/v1/usage", Json.Body(body))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1000, json.GetProperty("accepted").GetInt32());
        Assert.Equal(1000, await StoredAsync(t));
    }

    [Theory]
    [InlineData("{\"evts\":[]}")]
    [InlineData("[]")]
    [InlineData("{\"events\":{}}")]
    [InlineData("{\"events\":[],\"other\":[1,{\"events\":[{}]}]}")]
    [InlineData("{\"events\":[{}],\"events\":null}")]
    public async Task a_body_without_an_events_array_is_a_400(string body) =>
        Assert.Equal(HttpStatusCode.BadRequest, (await api.Http.PostAsync("/v1/usage", Json.Body(body))).StatusCode);

    [Fact]
    public async Task a_tenant_key_may_not_ingest()
    {
        using var client = await api.AsTenantAsync("u-a");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/v1/usage", Json.Body("{\"events\":[]}"))).StatusCode);
    }

    [Fact]
    public async Task the_answer_has_the_documented_shape_with_null_reasons_written()
    {
        var t = await TenantAsync();
        var body = $$"""{"events":[{{Event(t, "s1")}},{{Event(t, "s1")}},{{Event("nobody-" + t, "s2")}}]}""";
        var response = await api.Http.PostAsync("/v1/usage", Json.Body(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["accepted", "duplicates", "conflicts", "rejected", "results"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal([1, 1, 0, 1], new[] { "accepted", "duplicates", "conflicts", "rejected" }.Select(n => json.GetProperty(n).GetInt32()));
        var first = json.GetProperty("results")[0];
        Assert.Equal(["id", "tenantId", "status", "reason"], first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("s1", t, "accepted", JsonValueKind.Null), (first.GetProperty("id").GetString(), first.GetProperty("tenantId").GetString(), first.GetProperty("status").GetString(), first.GetProperty("reason").ValueKind));
        Assert.Equal("unknown_tenant", json.GetProperty("results")[2].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task a_body_cut_off_after_many_valid_events_appends_nothing()
    {
        var t = await TenantAsync();
        var events = string.Join(',', Enumerable.Range(0, 500).Select(i => Event(t, "cut" + i)));
        var response = await api.Http.PostAsync("/v1/usage", Json.Body("{\"events\":[" + events + ",{\"id\":\"x\""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("malformed_json", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(0, await StoredAsync(t));
    }

    [Fact]
    public async Task events_of_the_wrong_shape_are_rejected_one_by_one_and_the_rest_accepted()
    {
        var t = await TenantAsync();
        var ok = Event(t, "ok");
        var escapedNames = $$$"""{"\u0069d":"esc","tenantId":"{{{t}}}","metric":"api_calls","quantity":3,"timestamp":"2026-03-15T11:00:00Z","extra":{"nested":[1,2,{"id":"x"}]}}""";
        var body = $$"""
            {"note":{"events":[]},"events":[
              {{ok}}, 42, {{escapedNames}},
              {"id":7,"tenantId":"{{t}}","metric":"api_calls","quantity":1,"timestamp":"2026-03-15T11:00:00Z"},
              {"id":"p","tenantId":"{{t}}","metric":"api_calls","quantity":1,"timestamp":"2026-03-15T11:00:00Z","properties":[1]},
              {"id":"q","tenantId":"{{t}}","metric":"api_calls","quantity":"5","timestamp":"2026-03-15T11:00:00Z"},
              {"id":"r","tenantId":"{{t}}","metric":"api_calls","quantity":9,"quantity":2,"timestamp":"2026-03-15T11:00:00Z","properties":null}
            ]}
            """;
        var json = await (await api.Http.PostAsync("/v1/usage", Json.Body(body))).Content.ReadFromJsonAsync<JsonElement>();

        var results = json.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(
            ["accepted", "rejected", "accepted", "rejected", "rejected", "rejected", "accepted"],
            results.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal(
            ["invalid_event", "invalid_id", "invalid_properties", "invalid_quantity"],
            results.Where(r => r.GetProperty("status").GetString() == "rejected").Select(r => r.GetProperty("reason").GetString()));
        Assert.Equal("esc", results[2].GetProperty("id").GetString());
        Assert.Equal(3, await StoredAsync(t));
        await using var command = api.DataSource.CreateCommand("SELECT (data->>'quantity')::numeric FROM ledger.events WHERE tenant_id = $1 AND data->>'clientEventId' = 'r'");
        command.Parameters.Add(new NpgsqlParameter { Value = t });
        Assert.Equal(2m, (decimal)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task content_after_the_body_is_malformed_json_and_appends_nothing()
    {
        var t = await TenantAsync();
        var response = await api.Http.PostAsync("/v1/usage", Json.Body($$"""{"events":[{{Event(t, "a")}}]} {"events":[]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("malformed_json", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(0, await StoredAsync(t));
    }
}

