using Billing.Host.Auth;
using Billing.Host.StripeEmulator;
using Billing.Host.Tests.Invoices;
using Billing.Host.Tests.Stripe;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Jobs;
using Billing.Ledger.Stripe;
using Billing.Ledger.Time;
using Billing.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;

namespace Billing.Host.Tests.Collection;

/// <summary>The real Host on Kestrel (127.0.0.1, random port) with the collection registrations,
/// its StripeClient pointed at the real emulator, the invoice read model kept inline, job workers
/// off (tests drain the app's own handlers), and the header-driven test authentication.</summary>
public sealed class RefundApiFixture : DatabaseFixture
{
    public AdjustableClock Clock { get; } = new(DateTimeOffset.Parse("2026-04-01T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public StripeEmulator.StripeEmulator Emulator { get; private set; } = null!;

    public WebApplication App { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public Billing.Ledger.EventStore.EventStore Store => App.Services.GetRequiredService<Billing.Ledger.EventStore.EventStore>();

    public StripeClient Stripe => App.Services.GetRequiredService<StripeClient>();

    public Seeder Seed => new(Store, Stripe, Clock);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Emulator = await StripeEmulator.StripeEmulator.StartAsync(new StripeEmulatorOptions { Delivery = WebhookDeliveryMode.Manual, WebhookSecret = "whsec_refunds" });
        App = await BillingApp.BuildAsync(["--urls", "http://127.0.0.1:0", "--ConnectionStrings:Ledger=" + ConnectionString, "--Logging:LogLevel:Default=Warning"], configure: b =>
        {
            b.Services.AddSingleton<TimeProvider>(Clock);
            b.Services.AddSingleton(new JobQueueOptions { Workers = 0 });
            b.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IInlineProjection, InvoiceProjection>());
            b.Services.AddSingleton(new StripeClient(new HttpClient(), new StripeOptions { SecretKey = StripeEmulator.StripeEmulator.DefaultSecretKey, BaseUrl = Emulator.BaseUrl, Retry = EmulatorFixture.FastRetries },
                NullLogger<StripeClient>.Instance));
        });
        await App.StartAsync();
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = await AsRoleAsync(Roles.Admin);
    }

    public override async Task DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Emulator.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>A client holding a real API key of <paramref name="role"/>.</summary>
    public async Task<HttpClient> AsRoleAsync(string role)
    {
        var key = await App.Services.GetRequiredService<ApiKeyStore>().CreateAsync(role, null, "test client");
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Key);
        return client;
    }

    /// <summary>Runs the app's own registered job handlers until nothing is due.</summary>
    public Task DrainJobsAsync() =>
        new JobWorker(App.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), App.Services.GetServices<IJobHandler>(), Clock).DrainAsync(default);

    /// <summary>A tenant with a visa card and an invoice the app's collection job has paid.</summary>
    public async Task<(TestTenant Tenant, string InvoiceId)> PaidInvoiceAsync(long amountMinor)
    {
        var tenant = await Seed.TenantAsync("pm_card_visa");
        var invoiceId = await Seed.FinalizedInvoiceAsync(tenant, amountMinor);
        await DrainJobsAsync();
        return (tenant, invoiceId);
    }

    public async Task<IReadOnlyList<object>> InvoiceEventsAsync(TestTenant tenant, string invoiceId) =>
        (await Store.ReadStreamAsync(tenant.TenantId, InvoiceStreams.IdOf(invoiceId))).Select(e => e.Data).ToList();
}
