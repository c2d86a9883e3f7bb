using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Billing.Host.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Host.Tests.Auth;

public sealed class ApiKeyAuthenticationTests(BillingApiFactory api) : IClassFixture<BillingApiFactory>
{
    [Fact]
    public void the_app_runs_on_the_factorys_own_database()
    {
        var appDatabase = new Npgsql.NpgsqlConnectionStringBuilder(api.Services.GetRequiredService<Npgsql.NpgsqlDataSource>().ConnectionString).Database;

        Assert.Equal(new Npgsql.NpgsqlConnectionStringBuilder(api.ConnectionString).Database, appDatabase);
    }

    [Fact]
    public async Task a_created_key_authenticates_with_its_role_and_tenant()
    {
        using var client = await api.CreateClientAsync(Roles.Tenant, "acme");

        var me = await client.GetFromJsonAsync<ApiKeyEndpoints.WhoAmIResponse>("/v1/whoami");

        Assert.Equal(Roles.Tenant, me!.Role);
        Assert.Equal("acme", me.TenantId);
        Assert.StartsWith("key:bk_live_", me.Actor, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_request_without_a_key_gets_401_problem_details()
    {
        using var client = api.CreateClient();

        var response = await client.GetAsync("/v1/whoami");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task a_revoked_key_is_rejected()
    {
        var store = api.Services.GetRequiredService<ApiKeyStore>();
        var created = await store.CreateAsync(Roles.Finance);
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/whoami")).StatusCode);

        Assert.True(await store.RevokeAsync(created.Info.Prefix));

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/whoami")).StatusCode);
    }

    [Fact]
    public async Task keys_are_stored_only_as_hashes()
    {
        var created = await api.Services.GetRequiredService<ApiKeyStore>().CreateAsync(Roles.Ingest);
        await using var command = api.Services.GetRequiredService<Npgsql.NpgsqlDataSource>()
            .CreateCommand("SELECT count(*) FROM ledger.api_keys WHERE key_hash = $1 OR prefix = $1 OR description = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = created.Key });

        Assert.Equal(0L, await command.ExecuteScalarAsync());
        Assert.StartsWith(created.Info.Prefix, created.Key, StringComparison.Ordinal);
    }

    [Fact]
    public async Task admin_creates_a_key_over_http_and_sees_it_listed_by_prefix()
    {
        using var admin = await api.CreateClientAsync(Roles.Admin);

        var response = await admin.PostAsJsonAsync("/v1/keys", new ApiKeyEndpoints.CreateKeyRequest(Roles.Tenant, "globex"));
        var created = await response.Content.ReadFromJsonAsync<ApiKeyEndpoints.CreatedKeyResponse>();
        var listed = await admin.GetFromJsonAsync<List<ApiKeyEndpoints.KeyResponse>>("/v1/keys");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Contains(listed!, k => k.Prefix == created!.Info.Prefix && k.TenantId == "globex");
    }

    [Fact]
    public async Task a_tenant_key_without_a_tenant_is_rejected_as_bad_request()
    {
        using var admin = await api.CreateClientAsync(Roles.Admin);

        var response = await admin.PostAsJsonAsync("/v1/keys", new ApiKeyEndpoints.CreateKeyRequest(Roles.Tenant));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
