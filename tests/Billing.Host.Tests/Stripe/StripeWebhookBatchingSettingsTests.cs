using System.Net;
using Billing.Host.StripeSetup;
using Billing.Ledger.Stripe.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static Billing.Host.Tests.Stripe.SignedDeliveries;

namespace Billing.Host.Tests.Stripe;

/// <summary>The inbox's group-commit settings (docs/stripe.md "Configuration" and "Acceptance is
/// group-committed"): read from configuration, refused when below 1, and used by the Host's inbox.</summary>
public sealed class StripeWebhookBatchingSettingsTests
{
    private static StripeWebhookBatching Batching(params (string Key, string Value)[] settings) =>
        StripeSettings.From(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build()).Batching;

    [Fact]
    public void unset_settings_keep_two_batches_in_flight_and_gather_at_four()
    {
        Assert.Equal(new StripeWebhookBatching { MaxInFlight = 2, GatherAt = 4 }, Batching());
    }

    [Fact]
    public void both_settings_come_from_configuration()
    {
        var batching = Batching(("STRIPE_WEBHOOK_BATCHES_IN_FLIGHT", "3"), ("STRIPE_WEBHOOK_GATHER_AT", "1"));

        Assert.Equal(new StripeWebhookBatching { MaxInFlight = 3, GatherAt = 1 }, batching);
    }

    [Theory]
    [InlineData("STRIPE_WEBHOOK_BATCHES_IN_FLIGHT", "0")]
    [InlineData("STRIPE_WEBHOOK_GATHER_AT", "0")]
    [InlineData("STRIPE_WEBHOOK_GATHER_AT", "-2")]
    [InlineData("STRIPE_WEBHOOK_BATCHES_IN_FLIGHT", "two")]
    public void a_value_below_one_or_not_a_whole_number_is_refused_naming_the_setting(string key, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Batching((key, value)));

        Assert.Contains(key, error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public async Task the_hosts_inbox_commits_deliveries_with_the_configured_settings()
    {
        const string secret = "whsec_batching_test";
        await using var api = new BillingApiFactory();
        api.Settings["STRIPE_WEBHOOK_SECRET"] = secret;
        api.Settings["STRIPE_WEBHOOK_BATCHES_IN_FLIGHT"] = "3";
        api.Settings["STRIPE_WEBHOOK_GATHER_AT"] = "1";
        await api.InitializeAsync();
        using var http = api.CreateClient();

        var id = "evt_" + Guid.NewGuid().ToString("N")[..24];
        using var response = await http.SendAsync(Delivery(EventJson(id), secret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new StripeWebhookBatching { MaxInFlight = 3, GatherAt = 1 }, api.Services.GetRequiredService<StripeWebhookInbox>().Batching);
    }
}
