using Billing.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Host.Tests.Stripe;

/// <summary>The real Host on Kestrel (127.0.0.1, free port) over a fresh database, with no
/// STRIPE_SECRET_KEY, so it runs the embedded emulator, and two webhook secrets (a rotation).</summary>
public sealed class StripeHostFixture : DatabaseFixture
{
    public const string CurrentSecret = "whsec_host_current";
    public const string NextSecret = "whsec_host_next";

    private WebApplication _app = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => _app.Services;

    public StripeEmulator.StripeEmulator Emulator => _app.Services.GetRequiredService<StripeEmulator.StripeEmulator>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await BillingApp.BuildAsync(
        [
            "--urls=http://127.0.0.1:0",
            $"--BILLING_DB={ConnectionString}",
            $"--STRIPE_WEBHOOK_SECRET={CurrentSecret},{NextSecret}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Http = new HttpClient { BaseAddress = BaseAddress };
    }

    public override async Task DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await base.DisposeAsync();
    }
}
