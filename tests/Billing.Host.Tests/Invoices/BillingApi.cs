using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Billing.Host;
using Billing.Host.Auth;
using Billing.Ledger.Time;
using Billing.Testing;
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

    /// <summary>Configuration overrides (<c>--Key=Value</c>) a derived fixture adds.</summary>
    protected virtual string[] ExtraArgs => [];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        App = await BillingApp.BuildAsync(["--urls", "http://127.0.0.1:0", "--ConnectionStrings:Ledger=" + ConnectionString, "--Logging:LogLevel:Default=Warning", .. ExtraArgs], configure: b =>
        {
            b.Services.AddSingleton<TimeProvider>(Clock);
        });
        await App.StartAsync();
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = await ClientAsync(Roles.Admin, null);
    }

    public override async Task DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>A client holding a real tenant API key bound to <paramref name="tenantId"/>.</summary>
    public Task<HttpClient> AsTenantAsync(string tenantId) => ClientAsync(Roles.Tenant, tenantId);

    /// <summary>A client holding a real API key of <paramref name="role"/>.</summary>
    public Task<HttpClient> AsRoleAsync(string role) => ClientAsync(role, null);

    private async Task<HttpClient> ClientAsync(string role, string? tenantId)
    {
        var key = await App.Services.GetRequiredService<ApiKeyStore>().CreateAsync(role, tenantId, "test client");
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        return client;
    }
}

internal static class Json
{
    public static StringContent Body(string json) => new(json, new MediaTypeHeaderValue("application/json"));
}
