using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Billing.Benchmarks.Http;

namespace Billing.Benchmarks;

/// <summary>The HTTP case: each sender signs <c>"{t}.{body}"</c> with HMAC-SHA256 under the
/// Host's secret, as Stripe does, and checks the acknowledgement (a re-sent event must be
/// answered as a duplicate, a fresh one not).</summary>
public sealed partial class WebhookBenchmark
{
    private static async Task<LoadResult> RunHttpAsync(BenchHost host, BenchDatabase database, DeliveryCounts counts, TimeSpan warmup, TimeSpan duration, CancellationToken ct, bool badSignature = false, HostStages? stages = null)
    {
        var clients = Enumerable.Range(0, Senders).Select(_ => host.CreateClient()).ToList();
        try
        {
            return await LoadRunner.RunAsync(Senders, warmup, duration, w => badSignature ? BadSender(clients[w], w) : Sender(clients[w], w, counts), database.Cpu, ct, stages is null ? null : stages.Start);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static Func<CancellationToken, Task<int>> Sender(HttpClient client, int sender, DeliveryCounts counts)
    {
        var sent = new List<byte[]>();
        var next = 0;
        return async ct =>
        {
            var resend = sent.Count > 0 && Random.Shared.NextDouble() < DuplicateShare;
            var body = resend ? sent[Random.Shared.Next(sent.Count)] : Body($"s{sender}_{next++}");
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            content.Headers.Add("Stripe-Signature", Sign(body));
            using var response = await client.PostAsync(Webhooks.StripeWebhookPath, content, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"delivery: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }

            var ack = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            var duplicate = ack.GetProperty("duplicate").GetBoolean();
            if (duplicate != resend)
            {
                throw new InvalidOperationException($"Expected duplicate={resend}, got {ack}");
            }

            counts.Add(duplicate);
            if (!resend)
            {
                sent.Add(body);
            }

            return 1;
        };
    }

    /// <summary>Signs with the wrong secret and expects the 400 every such delivery gets.</summary>
    private static Func<CancellationToken, Task<int>> BadSender(HttpClient client, int sender)
    {
        var next = 0;
        return async ct =>
        {
            var body = Body($"bad{sender}_{next++}");
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            content.Headers.Add("Stripe-Signature", Sign(body, "whsec_not_the_hosts"));
            using var response = await client.PostAsync(Webhooks.StripeWebhookPath, content, ct);
            if (response.StatusCode != System.Net.HttpStatusCode.BadRequest)
            {
                throw new InvalidOperationException($"bad signature: {(int)response.StatusCode}");
            }

            await response.Content.ReadAsByteArrayAsync(ct);
            return 1;
        };
    }

    private static string Sign(byte[] body) => Sign(body, Secret);

    private static string Sign(byte[] body, string secret)
    {
        var t = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signed = new byte[t.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(t + ".", signed);
        body.CopyTo(signed, t.Length + 1);
        var v1 = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
        return $"t={t},v1={v1}";
    }

    /// <summary>A <c>payment_intent.succeeded</c> event shaped like Stripe's (about 1.4 KB).</summary>
    private static byte[] Body(string suffix)
    {
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Encoding.UTF8.GetBytes($$$"""
            {"id":"evt_bench_{{{suffix}}}","object":"event","api_version":"2024-06-20","created":{{{created}}},
             "data":{"object":{"id":"pi_bench_{{{suffix}}}","object":"payment_intent","amount":4900,"amount_capturable":0,
              "amount_received":4900,"capture_method":"automatic","client_secret":"pi_bench_{{{suffix}}}_secret_x",
              "confirmation_method":"automatic","created":{{{created}}},"currency":"usd","customer":"cus_webhook_bench",
              "description":"Invoice INV-2026-{{{suffix}}}","invoice":null,"last_payment_error":null,"latest_charge":"ch_bench_{{{suffix}}}",
              "livemode":false,"metadata":{"tenant_id":"{{{TenantId}}}","invoice_id":"inv_{{{suffix}}}"},
              "payment_method":"pm_card_visa","payment_method_types":["card"],"receipt_email":"billing@webhook-bench.example",
              "setup_future_usage":null,"statement_descriptor":null,"status":"succeeded",
              "amount_details":null,"automatic_payment_methods":null,"canceled_at":null,"cancellation_reason":null,
              "next_action":null,"on_behalf_of":null,"processing":null,"review":null,"shipping":null,"transfer_data":null,"transfer_group":null}},
             "livemode":false,"pending_webhooks":1,"request":{"id":"req_bench_{{{suffix}}}","idempotency_key":"collect-{{{suffix}}}"},
             "type":"payment_intent.succeeded"}
            """);
    }

    /// <summary>The Host's webhook route (kept here so the benchmark names what it measures).</summary>
    private static class Webhooks
    {
        public const string StripeWebhookPath = Billing.Host.Webhooks.StripeWebhookEndpoints.Path;
    }
}
