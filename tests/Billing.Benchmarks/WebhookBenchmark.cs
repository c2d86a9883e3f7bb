using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Billing.Host;
using Billing.Ledger.Postgres;
using Billing.Ledger.Stripe.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Benchmarks;

/// <summary>Signed Stripe webhook deliveries over HTTP on loopback to the real Host (Kestrel,
/// PostgreSQL): 16 concurrent senders, distinct events plus 10 % duplicates. Each accepted
/// event is verified, recorded (event + receipt + job) in one transaction and acknowledged.</summary>
public sealed class WebhookBenchmark : IBenchmark
{
    private const int Senders = 16;
    private const string Secret = "whsec_benchmark_secret";

    public string Name => "webhooks";

    public async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var distinct = quick ? 15_000 : 100_000;
        var dir = Path.Combine(Path.GetTempPath(), "billing-bench-webhooks-" + Guid.NewGuid().ToString("N")[..8]);
        await using var cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir, Persistent: false, Durable: true, MaxConnections: 100));
        await using var app = await BillingApp.BuildAsync(
        [
            "--urls=http://127.0.0.1:0",
            $"--BILLING_DB={cluster.ConnectionString()}",
            $"--STRIPE_WEBHOOK_SECRET={Secret}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var deliveries = Deliveries(distinct);
        Console.WriteLine($"webhooks: {deliveries.Count:N0} deliveries ({distinct:N0} distinct + 10 % duplicates), {Senders} senders, {Environment.ProcessorCount} cores");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Senders }) { BaseAddress = address };
        await SendAllAsync(http, deliveries.Take(500).Select(d => d with { Body = d.Body.Replace("evt_", "evt_warm", StringComparison.Ordinal) }).ToList());
        var watch = Stopwatch.StartNew();
        var latencies = await SendAllAsync(http, deliveries);
        var elapsed = watch.Elapsed;
        await app.StopAsync();

        Array.Sort(latencies);
        var p50 = latencies[latencies.Length / 2];
        var p99 = latencies[(int)(latencies.Length * 0.99)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"elapsed={elapsed.TotalSeconds:F2} s p50_ms={p50:F2} max_ms={latencies[^1]:F1}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"webhooks accepted_per_s={deliveries.Count / elapsed.TotalSeconds:F0} p99_ms={p99:F1}"));
        return 0;
    }

    private sealed record Delivery(string Body);

    private static List<Delivery> Deliveries(int distinct)
    {
        var random = new Random(42);
        var list = new List<Delivery>(distinct + distinct / 10);
        for (var i = 0; i < distinct; i++)
        {
            list.Add(new Delivery(Event($"evt_bench_{i:D8}", $"tenant-{i % 50}")));
        }

        for (var i = 0; i < distinct / 10; i++)
        {
            list.Add(list[random.Next(distinct)]);
        }

        return list.OrderBy(_ => random.Next()).ToList();
    }

    private static string Event(string id, string tenant) => new JsonObject
    {
        ["id"] = id,
        ["object"] = "event",
        ["type"] = "payment_intent.succeeded",
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["livemode"] = false,
        ["data"] = new JsonObject { ["object"] = new JsonObject { ["id"] = "pi_" + id[4..], ["object"] = "payment_intent", ["amount"] = 4200, ["currency"] = "eur", ["metadata"] = new JsonObject { ["tenant_id"] = tenant } } },
    }.ToJsonString();

    private static async Task<double[]> SendAllAsync(HttpClient http, IReadOnlyList<Delivery> deliveries)
    {
        var latencies = new double[deliveries.Count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < deliveries.Count)
            {
                var body = deliveries[i].Body;
                var t = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/billing/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("Stripe-Signature", WebhookSignature.Header(t, WebhookSignature.Sign(Secret, t, Encoding.UTF8.GetBytes(body))));
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request);
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"delivery {i} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        })));
        return latencies;
    }
}
