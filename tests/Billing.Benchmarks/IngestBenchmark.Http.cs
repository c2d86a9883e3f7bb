using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Benchmarks.Http;
using Billing.Ledger.Time;

namespace Billing.Benchmarks;

/// <summary>The HTTP case: each client sends batches as a client application would (JSON over
/// the wire; the bodies are built before the measurement), re-sending 5 % of the ids it sent in
/// its previous batch with the same payload, and checks the answer's counts: every fresh id
/// accepted, every re-sent id a duplicate.</summary>
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
            // Bodies for up to 50,000 events/s over warm-up and measurement, built up front.
            var prebuilt = (int)Math.Ceiling((warmup + duration).TotalSeconds * 50_000 / Clients / BatchSize);
            var result = await LoadRunner.RunAsync(Clients, warmup, duration, w => HttpWorker(clients[w], w, tenants, clock, prebuilt), database.Cpu, ct);
            // Answered events of the measured window only: the runner counts stored ones, and
            // every batch answers BatchSize events of which BatchSize - duplicates are stored.
            return (result, result.Operations * BatchSize);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static Func<CancellationToken, Task<int>> HttpWorker(HttpClient client, int worker, string[] tenants, AdjustableClock clock, int prebuilt)
    {
        var bodies = new UsageBodies(worker, tenants, clock, prebuilt);
        bodies.Prebuild();
        return async ct =>
        {
            var (body, resend) = bodies.Next();
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = Json;
            using var response = await client.PostAsync("/v1/usage", content, ct);
            await EnsureAsync(response, "posting usage", ct);
            var answer = await response.Content.ReadAsByteArrayAsync(ct);
            var (accepted, duplicates) = Counts(answer);
            if (accepted != BatchSize - resend || duplicates != resend)
            {
                throw new InvalidOperationException($"Expected {BatchSize - resend} accepted and {resend} duplicates, got {accepted} and {duplicates}: {System.Text.Encoding.UTF8.GetString(answer)}");
            }

            return accepted;
        };
    }

    /// <summary>The answer's leading <c>accepted</c> and <c>duplicates</c> counts (docs/api.md
    /// order), read without materialising the 1,000 per-event results the check does not use.</summary>
    private static (int Accepted, int Duplicates) Counts(byte[] answer)
    {
        var reader = new Utf8JsonReader(answer);
        int? accepted = null, duplicates = null;
        while ((accepted is null || duplicates is null) && reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == "accepted")
                {
                    accepted = reader.GetInt32();
                }
                else if (name == "duplicates")
                {
                    duplicates = reader.GetInt32();
                }
            }
        }

        return (accepted ?? -1, duplicates ?? -1);
    }

    /// <summary>A worker's request bodies, built before the measurement (as many as the run can
    /// plausibly send) so the timed loop measures sending and answering, not the benchmark making
    /// up data; the server sees the same bodies either way. Should a fast run use them all, the
    /// rest are built on demand. Batch k re-sends the first 50 rows of batch k - 1 with the same
    /// payload; workers send their bodies in order, so those ids are stored by then.</summary>
    private sealed class UsageBodies(int worker, string[] tenants, AdjustableClock clock, int prebuilt)
    {
        private readonly Queue<(byte[] Body, int Resend)> _ready = new();
        private UsageRow[] _previous = [];
        private long _sequence;

        public void Prebuild()
        {
            for (var i = 0; i < prebuilt; i++)
            {
                _ready.Enqueue(Build());
            }
        }

        public (byte[] Body, int Resend) Next() => _ready.TryDequeue(out var next) ? next : Build();

        private (byte[] Body, int Resend) Build()
        {
            var resend = _previous.Length == 0 ? 0 : DuplicatesPerBatch;
            var batch = new UsageRow[BatchSize];
            for (var i = 0; i < BatchSize - resend; i++)
            {
                batch[i] = UsageRow.Fresh($"w{worker}-{_sequence++}", tenants[Random.Shared.Next(tenants.Length)], clock.GetUtcNow());
            }

            Array.Copy(_previous, 0, batch, BatchSize - resend, resend);
            _previous = batch[..DuplicatesPerBatch];
            return (Serialize(batch), resend);
        }
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
