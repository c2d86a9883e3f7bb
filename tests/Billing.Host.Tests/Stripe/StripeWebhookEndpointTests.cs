using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Billing.Ledger.Observability;
using Billing.Ledger.Stripe.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using static Billing.Host.Tests.Stripe.SignedDeliveries;

namespace Billing.Host.Tests.Stripe;

public sealed class StripeWebhookEndpointTests(StripeHostFixture host) : IClassFixture<StripeHostFixture>
{
    private static string NewId() => "evt_" + Guid.NewGuid().ToString("N")[..24];

    /// <summary>The event's receipts once the Host's dispatcher has caught up (driven here rather
    /// than waited for: the receipt is written after the acknowledgement).</summary>
    private async Task<long> ReceiptsAsync(string id)
    {
        await host.Services.GetRequiredService<StripeWebhookDispatcher>().DispatchAllAsync(default);
        await using var command = host.DataSource.CreateCommand("SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = id });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Theory]
    [InlineData(StripeHostFixture.CurrentSecret)]
    [InlineData(StripeHostFixture.NextSecret)]
    public async Task a_delivery_signed_with_either_rotated_secret_is_acknowledged_and_recorded(string secret)
    {
        var id = NewId();

        using var response = await host.Http.SendAsync(Delivery(EventJson(id), secret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ack = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(ack.GetProperty("duplicate").GetBoolean());
        Assert.Equal(1, await ReceiptsAsync(id));
    }

    [Fact]
    public async Task bad_missing_or_stale_signatures_are_400_problems_counted_and_record_nothing()
    {
        var failures = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // This Host's own meter: the exporter renders it as billing_webhook_failures_total.
            if (instrument.Name == "billing_webhook_failures" && ReferenceEquals(instrument.Meter, host.Services.GetRequiredService<BillingMetrics>().Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            lock (failures)
            {
                failures.Add(tags.ToArray().Single(t => t.Key == "reason").Value!.ToString()!);
            }
        });
        listener.Start();
        var id = NewId();
        var body = EventJson(id);

        HttpRequestMessage[] deliveries =
        [
            Delivery(body, "whsec_someone_else"),
            Delivery(body, null),
            Delivery(body, StripeHostFixture.CurrentSecret, DateTimeOffset.UtcNow.AddMinutes(-6).ToUnixTimeSeconds()),
            Delivery(body, null, header: "t=1,v1=zz"),
            Delivery(body + " ", null, header: Delivery(body, StripeHostFixture.CurrentSecret).Headers.GetValues("Stripe-Signature").Single()),
        ];
        foreach (var delivery in deliveries)
        {
            using var response = await host.Http.SendAsync(delivery);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(0, await ReceiptsAsync(id));
        lock (failures)
        {
            Assert.Equal(["signature_mismatch", "missing_header", "stale_timestamp", "malformed_header", "signature_mismatch"], failures);
        }
    }

    [Fact]
    public async Task a_correctly_signed_body_that_is_not_an_event_is_a_400_problem()
    {
        using var response = await host.Http.SendAsync(Delivery("""{"hello":"world"}""", StripeHostFixture.CurrentSecret));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("invalid_payload", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task fifty_concurrent_copies_of_one_delivery_are_all_acknowledged_and_recorded_once()
    {
        var id = NewId();
        var body = EventJson(id);

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var response = await host.Http.SendAsync(Delivery(body, StripeHostFixture.CurrentSecret));
            return (response.StatusCode, Ack: await response.Content.ReadFromJsonAsync<JsonElement>());
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(responses, r => !r.Ack.GetProperty("duplicate").GetBoolean());
        Assert.Equal(1, await ReceiptsAsync(id));
    }

    [Fact]
    public async Task concurrent_deliveries_of_many_events_with_copies_are_each_recorded_once()
    {
        // Deliveries arriving together are committed in shared transactions (group commit):
        // every event is still recorded once and every copy answered as a duplicate.
        var ids = Enumerable.Range(0, 30).Select(_ => NewId()).ToList();
        var sends = ids.Concat(ids).Concat(ids.Take(10)).Select(async id =>
        {
            using var response = await host.Http.SendAsync(Delivery(EventJson(id), StripeHostFixture.CurrentSecret));
            return (Id: id, response.StatusCode, Ack: await response.Content.ReadFromJsonAsync<JsonElement>());
        });

        var responses = await Task.WhenAll(sends);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var id in ids)
        {
            Assert.Single(responses, r => r.Id == id && !r.Ack.GetProperty("duplicate").GetBoolean());
            Assert.Equal(1, await ReceiptsAsync(id));
        }
    }
}
