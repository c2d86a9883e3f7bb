using Billing.Ledger.EventStore;

namespace Billing.Benchmarks;

/// <summary>The ledger's append paths against raw PostgreSQL doing the same writes, in one run on
/// one fresh database (issue 2). Every case starts from empty tables and a fresh checkpoint;
/// rounds interleave the cases so load from other processes on the machine hits them alike.
/// The best round per case is compared; the spread across rounds is printed next to it.</summary>
public sealed partial class EventStoreBenchmark : IBenchmark
{
    private const string Tenant = "bench-tenant";
    private const string StreamType = "invoice";
    private const int StreamsPerBatch = 100;
    private const int EventsPerStreamInBatch = 10;
    private const int StreamsPerSingleWorker = 8;

    private static readonly EventMetadata Metadata = new(CorrelationId: "req-5d1c0e2a9b7f4c39", Actor: "bench");

    // About 200 bytes of JSON: a typical webhook-derived event.
    private static readonly BenchPaymentRecorded Payload = new(
        InvoiceId: "inv_01JD7Q8V4K3M2N5P6R7S8T9V0W",
        CustomerId: "cus_R8x2LmQ4vT9kWz",
        PaymentIntentId: "pi_3QbLx2Ck9vT7mRz41aB8eXyZ",
        AmountMinor: 129_900,
        Currency: "EUR",
        PaidAt: new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero),
        Description: "Pro plan, November");

    public string Name => "eventstore";

    public async Task<int> RunAsync(string[] args)
    {
        var settings = BenchSettings.From(args);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        var ct = cts.Token;

        await using var db = await BenchDatabase.CreateAsync("eventstore", ct: ct);
        await db.ExecuteAsync(RawSchemaSql, ct);
        var store = new EventStore(db.DataSource, new EventTypeRegistry().Register<BenchPaymentRecorded>(BenchPaymentRecorded.WireName));
        var cases = Cases(store).Where(c => settings.Only is null || settings.Only.Contains(c.Key)).ToList();
        Console.WriteLine($"eventstore: {db.Origin}; {Environment.ProcessorCount} cores; event data {store.Registry.Serialize(Payload).Length} bytes of JSON; " +
                          $"{settings.Rounds} rounds x (warm-up {settings.Warmup.TotalSeconds:0.#} s + {settings.Duration.TotalSeconds:0.#} s) per case");

        var cpu = db.Cpu;
        var results = cases.ToDictionary(c => c.Key, _ => new List<LoadResult>());
        for (var round = 1; round <= settings.Rounds; round++)
        {
            foreach (var benchCase in InRoundOrder(cases, round))
            {
                await db.ExecuteAsync(benchCase.ResetSql, ct);
                await db.CheckpointAsync(ct);
                var result = await LoadRunner.RunAsync(benchCase.Concurrency, settings.Warmup, settings.Duration, benchCase.CreateWorker, cpu, ct);
                results[benchCase.Key].Add(result);
                Console.WriteLine($"  round {round} {benchCase.Label,-42} {result.ItemsPerSecond,10:N0} events/s {result.ClientCpuMicrosecondsPerItem,5:N0} + {result.ServerCpuMicrosecondsPerItem,4:N0} us CPU/event (client + server)");
            }
        }

        Report(cases, results, cpu.IncludesServer);
        return 0;
    }

    // Each ledger case runs right next to its baseline, and the pair swaps order every round, so
    // load from other processes drifting over time hits both sides of a ratio alike.
    private static IReadOnlyList<BenchCase> Cases(EventStore store) =>
    [
        new("copy", "(a) raw COPY, 1,000 rows/call", 1, "TRUNCATE bench.raw_copy RESTART IDENTITY", _ => RawCopyWorker(store)),
        new("batch", "(c) ledger batch, 100 streams x 10 events", 1, LedgerResetSql, _ => LedgerBatchWorker(store)),
        new("insert_c1", "(b) raw INSERT txn, c1", 1, "TRUNCATE bench.raw_insert RESTART IDENTITY", w => RawInsertWorker(store, w)),
        new("single_c1", "(d) ledger single Exact append, c1", 1, LedgerResetSql, w => LedgerSingleWorker(store, w)),
        new("insert_c16", "(b) raw INSERT txn, c16", 16, "TRUNCATE bench.raw_insert RESTART IDENTITY", w => RawInsertWorker(store, w)),
        new("single_c16", "(d) ledger single Exact append, c16", 16, LedgerResetSql, w => LedgerSingleWorker(store, w)),
    ];

    private static IEnumerable<BenchCase> InRoundOrder(IReadOnlyList<BenchCase> cases, int round) =>
        round % 2 == 1 ? cases : cases.Chunk(2).SelectMany(pair => pair.Reverse());

    private const string LedgerResetSql = "TRUNCATE ledger.events, ledger.streams RESTART IDENTITY";

    private sealed record BenchCase(string Key, string Label, int Concurrency, string ResetSql, Func<int, Func<CancellationToken, Task<int>>> CreateWorker);

    /// <summary><c>--quick</c> (under a minute), <c>--rounds N</c>, <c>--only copy,batch</c> (case keys,
    /// for profiling one path; the summary line then needs the cases it compares).</summary>
    private sealed record BenchSettings(int Rounds, TimeSpan Warmup, TimeSpan Duration, IReadOnlySet<string>? Only)
    {
        public static BenchSettings From(string[] args)
        {
            var quick = args.Contains("--quick", StringComparer.Ordinal);
            var rounds = Option(args, "--rounds") is { } r ? int.Parse(r, System.Globalization.CultureInfo.InvariantCulture) : quick ? 3 : 4;
            var only = Option(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            return quick
                ? new(rounds, TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(1.2), only)
                : new(rounds, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8), only);
        }

        private static string? Option(string[] args, string name) =>
            Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

/// <summary>The benchmark's event: about 200 bytes once serialised.</summary>
[EventType(WireName)]
public sealed record BenchPaymentRecorded(string InvoiceId, string CustomerId, string PaymentIntentId, long AmountMinor, string Currency, DateTimeOffset PaidAt, string Description)
{
    public const string WireName = "bench.payment_recorded.v1";
}
