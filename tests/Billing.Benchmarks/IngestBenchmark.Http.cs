using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Benchmarks.Http;
using Billing.Ledger.Time;

namespace Billing.Benchmarks;

/// <summary>The HTTP case: each client builds its batch as a client application would (JSON over
/// the wire), re-sending 5 % of the ids it sent in its previous batch with the same payload, and
/// checks the per-event answer: every fresh id accepted, every re-sent id a duplicate.</summary>
public sealed partial class IngestBenchmark
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private static async Task<string[]> CreateTenantsAsync(BenchHost host, CancellationToken ct)
    {
        using var admin = await host.CreateAdminClientAsync(ct);
        var ids = Enumerable.Range(1, HttpTenants).Select(i => $"ingest-{i:D2}").ToArray();
        foreach (var id in ids)
        {
            var body = new { tenantId = id, name = "Ingest " + id, planId = "starter", currency = "USD", billingEmail = $"billing@{id}.example", timeZone = "Europe/Berlin" };
            using var response = await admin.PostAsJsonAsync("/v1/tenants", body, ct);
            await EnsureAsync(response, "creating tenant " + id, ct);
        }

        return ids;
    }

    private static async Task<(LoadResult Result, long Answered)> RunHttpAsync(
        BenchHost host, BenchDatabase database, string[] tenants, AdjustableClock clock, TimeSpan warmup, TimeSpan duration, CancellationToken ct)
    {
        var clients = new List<HttpClient>();
        for (var i = 0; i < Clients; i++)
        {
            clients.Add(await host.CreateAdminClientAsync(ct));
        }

        try
        {
            var result = await LoadRunner.RunAsync(Clients, warmup, duration, w => HttpWorker(clients[w], w, tenants, clock), database.Cpu, ct);
            // Answered events of the measured window only: the runner counts stored ones, and
            // every batch answers BatchSize events of which BatchSize - duplicates are stored.
            return (result, result.Operations * BatchSize);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static Func<CancellationToken, Task<int>> HttpWorker(HttpClient client, int worker, string[] tenants, AdjustableClock clock)
    {
        var previous = Array.Empty<UsageRow>();
        var sequence = 0L;
        return async ct =>
        {
            var resend = previous.Length == 0 ? 0 : DuplicatesPerBatch;
            var batch = new UsageRow[BatchSize];
            for (var i = 0; i < BatchSize - resend; i++)
            {
                batch[i] = UsageRow.Fresh($"w{worker}-{sequence++}", tenants[Random.Shared.Next(tenants.Length)], clock.GetUtcNow());
            }

            Array.Copy(previous, 0, batch, BatchSize - resend, resend);
            using var content = new ByteArrayContent(Serialize(batch));
            content.Headers.ContentType = Json;
            using var response = await client.PostAsync("/v1/usage", content, ct);
            await EnsureAsync(response, "posting usage", ct);
            var answer = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            var accepted = answer.GetProperty("accepted").GetInt32();
            var duplicates = answer.GetProperty("duplicates").GetInt32();
            if (accepted != BatchSize - resend || duplicates != resend)
            {
                throw new InvalidOperationException($"Expected {BatchSize - resend} accepted and {resend} duplicates, got {accepted} and {duplicates}: {answer}");
            }

            previous = batch[..DuplicatesPerBatch];
            return accepted;
        };
    }

    private static byte[] Serialize(UsageRow[] batch)
    {
        var buffer = new ArrayBufferWriter<byte>(BatchSize * 160);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("events");
            foreach (var row in batch)
            {
                json.WriteStartObject();
                json.WriteString("id", row.Id);
                json.WriteString("tenantId", row.TenantId);
                json.WriteString("metric", row.Metric);
                json.WriteNumber("quantity", row.Quantity);
                json.WriteString("timestamp", row.Timestamp.ToString("O", CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    /// <summary>One usage event as sent; its timestamp lies within the last hour of the clock.</summary>
    private sealed record UsageRow(string Id, string TenantId, string Metric, decimal Quantity, DateTimeOffset Timestamp)
    {
        public static UsageRow Fresh(string id, string tenantId, DateTimeOffset now) =>
            new(id, tenantId, "api_calls", Random.Shared.Next(1, 500), now.AddSeconds(-Random.Shared.Next(3_600)));
    }
}
