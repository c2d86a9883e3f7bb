using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Billing.Host;
using Billing.Host.Auth;
using Billing.Ledger.Time;
using Billing.Testing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Billing.Host.Tests.Invoices;

/// <summary>The real Host on Kestrel at 127.0.0.1 (random port) over this class's own database,
/// with an adjustable clock and a header-driven test authentication: <c>X-Test-Role</c> (default
/// admin) and <c>X-Test-Tenant</c> stand in for API keys, so these tests exercise the endpoints'
/// own tenant scoping without depending on key management.</summary>
public class BillingApi : DatabaseFixture
{
    public AdjustableClock Clock { get; } = new(DateTimeOffset.Parse("2026-03-15T12:00:00Z"));

    public WebApplication App { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        App = await BillingApp.BuildAsync(["--urls", "http://127.0.0.1:0", "--ConnectionStrings:Ledger=" + ConnectionString, "--Logging:LogLevel:Default=Warning"], configure: b =>
        {
            b.Services.AddSingleton<TimeProvider>(Clock);
            b.Services.AddAuthentication(TestAuth.SchemeName).AddScheme<AuthenticationSchemeOptions, TestAuth>(TestAuth.SchemeName, null);
            b.Services.AddAuthorizationBuilder()
                .SetFallbackPolicy(null)
                .AddPolicy(Policies.Admin, p => p.AddAuthenticationSchemes(TestAuth.SchemeName).RequireRole(Roles.Admin))
                .AddPolicy(Policies.Finance, p => p.AddAuthenticationSchemes(TestAuth.SchemeName).RequireRole(Roles.Admin, Roles.Finance))
                .AddPolicy(Policies.Ingest, p => p.AddAuthenticationSchemes(TestAuth.SchemeName).RequireRole(Roles.Admin, Roles.Ingest))
                .AddPolicy(Policies.TenantData, p => p.AddAuthenticationSchemes(TestAuth.SchemeName).RequireRole(Roles.Admin, Roles.Finance, Roles.Tenant));
        });
        await App.StartAsync();
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public override async Task DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>A client acting as a tenant key bound to <paramref name="tenantId"/>.</summary>
    public HttpClient AsTenant(string tenantId)
    {
        var client = new HttpClient { BaseAddress = Http.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Test-Role", Roles.Tenant);
        client.DefaultRequestHeaders.Add("X-Test-Tenant", tenantId);
        return client;
    }

    public HttpClient AsRole(string role)
    {
        var client = new HttpClient { BaseAddress = Http.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Test-Role", role);
        return client;
    }
}

internal sealed class TestAuth(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var role = Request.Headers["X-Test-Role"].ToString() is { Length: > 0 } r ? r : Roles.Admin;
        List<Claim> claims = [new(ClaimTypes.Role, role), new("billing:key_prefix", "test-" + role)];
        if (Request.Headers["X-Test-Tenant"].ToString() is { Length: > 0 } tenant)
        {
            claims.Add(new("billing:tenant", tenant));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}

internal static class Json
{
    public static StringContent Body(string json) => new(json, new MediaTypeHeaderValue("application/json"));
}
