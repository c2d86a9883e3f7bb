using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Billing.Host.Auth;

namespace Billing.Host.Tests.Auth;

/// <summary>Probe endpoints guarded by <see cref="Policies.TenantData"/>, mapped only in tests.</summary>
public sealed class TenantProbeModule : IEndpointModule
{
    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/test/tenants/{tenantId}/probe", (string tenantId) => TypedResults.Ok(tenantId)).RequireAuthorization(Policies.TenantData);
        routes.MapGet("/test/probe", (string tenant) => TypedResults.Ok(tenant)).RequireAuthorization(Policies.TenantData);
    }
}

public sealed class TenantDataFactory : IAsyncLifetime
{
    public BillingApiFactory Api { get; } = new();

    public async Task InitializeAsync()
    {
        Api.Modules.Add(new TenantProbeModule());
        await Api.InitializeAsync();
    }

    public async Task DisposeAsync() => await Api.DisposeAsync();
}

public sealed class TenantDataTests(TenantDataFactory fixture) : IClassFixture<TenantDataFactory>
{
    private BillingApiFactory Api => fixture.Api;

    [Theory]
    [InlineData("/test/tenants/acme/probe")]
    [InlineData("/test/probe?tenant=acme")]
    public async Task a_tenant_key_sees_its_own_tenant(string path)
    {
        using var client = await Api.CreateClientAsync(Roles.Tenant, "acme");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
    }

    [Theory]
    [InlineData("/test/tenants/globex/probe")]
    [InlineData("/test/probe?tenant=globex")]
    public async Task a_tenant_key_for_another_tenant_gets_404_and_no_data(string path)
    {
        using var client = await Api.CreateClientAsync(Roles.Tenant, "acme");

        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("globex", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Roles.Admin, HttpStatusCode.OK)]
    [InlineData(Roles.Finance, HttpStatusCode.OK)]
    [InlineData(Roles.Ingest, HttpStatusCode.Forbidden)]
    public async Task other_roles_follow_the_policy(string role, HttpStatusCode expected)
    {
        using var client = await Api.CreateClientAsync(role);

        Assert.Equal(expected, (await client.GetAsync("/test/tenants/globex/probe")).StatusCode);
    }

    [Fact]
    public void can_see_allows_admin_and_finance_everywhere_and_a_tenant_key_only_at_home()
    {
        static System.Security.Claims.ClaimsPrincipal User(string role, string? tenant) =>
            new(new System.Security.Claims.ClaimsIdentity(
                BillingClaims.For(new ApiKeyInfo("bk_live_x", role, tenant, null, DateTimeOffset.UnixEpoch, null)), "test", BillingClaims.KeyPrefix, System.Security.Claims.ClaimTypes.Role));

        Assert.True(TenantAccess.CanSee(User(Roles.Admin, null), "acme"));
        Assert.True(TenantAccess.CanSee(User(Roles.Finance, null), "acme"));
        Assert.True(TenantAccess.CanSee(User(Roles.Tenant, "acme"), "acme"));
        Assert.False(TenantAccess.CanSee(User(Roles.Tenant, "acme"), "globex"));
        Assert.False(TenantAccess.CanSee(User(Roles.Ingest, null), "acme"));
    }
}
