using Billing.Host.StripeEmulator;
using Billing.Ledger.Stripe;
using Microsoft.Extensions.Logging.Abstractions;

namespace Billing.Host.Tests.Stripe;

/// <summary>One emulator on loopback per test class, webhooks queued for the test to deliver.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public StripeEmulator.StripeEmulator Emulator { get; private set; } = null!;

    public static StripeRetryOptions FastRetries { get; } = new()
    {
        MaxRetries = 5,
        BaseDelay = TimeSpan.FromMilliseconds(1),
        MaxDelay = TimeSpan.FromMilliseconds(10),
        AttemptTimeout = TimeSpan.FromSeconds(5),
    };

    public async Task InitializeAsync() =>
        Emulator = await StripeEmulator.StripeEmulator.StartAsync(new StripeEmulatorOptions { Delivery = WebhookDeliveryMode.Manual, WebhookSecret = "whsec_test_fixture" });

    public async Task DisposeAsync() => await Emulator.DisposeAsync();

    public StripeClient Client(string secretKey = StripeEmulator.StripeEmulator.DefaultSecretKey, StripeRetryOptions? retry = null) =>
        new(new HttpClient(), new StripeOptions { SecretKey = secretKey, BaseUrl = Emulator.BaseUrl, Retry = retry ?? FastRetries }, NullLogger<StripeClient>.Instance);

    public async Task<string> NewCustomerAsync(StripeClient client)
    {
        var tenant = "t-" + Guid.NewGuid().ToString("N")[..8];
        var customer = await client.CreateCustomerAsync(new CustomerCreate($"{tenant}@example.test", tenant, new Dictionary<string, string> { ["tenant_id"] = tenant }), IdempotencyKeys.Customer(tenant));
        return customer.Id;
    }

    public IReadOnlyList<EmulatedCharge> ChargesOf(string customer) => Emulator.Charges.Where(c => c.Customer == customer).ToList();
}
