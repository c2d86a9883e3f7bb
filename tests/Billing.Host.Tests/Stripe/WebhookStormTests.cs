using System.Net;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Billing.Host.Tests.Stripe.SignedDeliveries;

namespace Billing.Host.Tests.Stripe;

/// <summary>A webhook storm through the real Host: processing is held back (acknowledgements
/// first), the hold ends by itself, and every delivery acknowledged is then processed.</summary>
public sealed class WebhookStormTests
{
    private const string Secret = "whsec_storm_test";

    [Fact]
    public async Task a_storm_holds_processing_back_and_every_acknowledged_delivery_is_processed_after_it()
    {
        await using var api = new BillingApiFactory();
        api.Settings["STRIPE_WEBHOOK_SECRET"] = Secret;
        // Every delivery is a storm; one holds processing for at most two seconds.
        api.Settings["STRIPE_WEBHOOK_STORM_PER_SECOND"] = "1";
        api.Settings["STRIPE_WEBHOOK_STORM_MAX_HOLD_SECONDS"] = "2";
        await api.InitializeAsync();
        using var http = api.CreateClient();
        var ids = Enumerable.Range(0, 5).Select(_ => "evt_" + Guid.NewGuid().ToString("N")[..24]).ToArray();

        foreach (var id in ids)
        {
            using var response = await http.SendAsync(Delivery(EventJson(id), Secret));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var storm = api.Services.GetRequiredService<StripeWebhookStormHold>();
        await using var data = NpgsqlDataSource.Create(api.ConnectionString);
        await Poll.UntilAsync(() => ProcessedAsync(data, ids), processed => processed == ids.Length, TimeSpan.FromSeconds(60), "every delivery processed after the storm");

        Assert.False(storm.IsHolding);
        var logs = api.Logs.Rendered().ToList();
        Assert.Contains(logs, l => l.Contains("holding webhook processing back", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Contains("Stripe webhook processing resumes", StringComparison.Ordinal));
    }

    private static async Task<long> ProcessedAsync(NpgsqlDataSource data, string[] ids)
    {
        await using var command = data.CreateCommand("SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = ANY ($1) AND processed_at IS NOT NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
