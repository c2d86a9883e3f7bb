using System.Diagnostics;
using System.Globalization;
using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Postgres;
using Npgsql;

namespace Billing.Benchmarks;

/// <summary>Enqueues N no-op jobs through the outbox path (units of work of 1,000 enqueues),
/// then drains them with 1 and with 8 workers, each case on a fresh database. Reports the
/// drain rate (claim + run + complete) per case and the end-to-end rate including enqueue.</summary>
public sealed class QueueBenchmark : IBenchmark
{
    private const string JobType = "bench.noop";
    private const int EnqueueBatch = 1_000;

    public string Name => "queue";

    public async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var jobs = quick ? 10_000 : 100_000;
        await using var cluster = await BenchCluster.StartAsync();
        Console.WriteLine($"queue: {jobs:N0} no-op jobs per case, batch claim {WorkerOptions(0).BatchSize}, {Environment.ProcessorCount} cores");
        var rates = new Dictionary<int, double>();
        foreach (var workers in new[] { 1, 8 })
        {
            await using var dataSource = await cluster.NewDatabaseAsync($"bench_queue_w{workers}");
            var enqueue = await EnqueueAsync(dataSource, jobs);
            var drain = await DrainAsync(dataSource, workers);
            await VerifyAsync(dataSource, jobs);
            rates[workers] = jobs / drain.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"workers={workers} enqueue={jobs / enqueue.TotalSeconds:F0} jobs/s drain={rates[workers]:F0} jobs/s end_to_end={jobs / (enqueue + drain).TotalSeconds:F0} jobs/s ({drain.TotalSeconds:F2} s)"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"queue jobs_per_s_w8={rates[8]:F0}"));
        return 0;
    }

    private static JobWorkerOptions WorkerOptions(int i) => new() { WorkerId = $"bench/{i}", BatchSize = 32 };

    private static async Task<TimeSpan> EnqueueAsync(NpgsqlDataSource dataSource, int jobs)
    {
        var store = new EventStore(dataSource, new EventTypeRegistry());
        var watch = Stopwatch.StartNew();
        for (var done = 0; done < jobs; done += EnqueueBatch)
        {
            var uow = store.BeginUnitOfWork(new EventMetadata(CorrelationId: "bench"));
            for (var i = done; i < Math.Min(jobs, done + EnqueueBatch); i++)
            {
                uow.Enqueue(new JobRequest(JobType, $$"""{"n":{{i}}}"""));
            }

            await uow.CommitAsync();
        }

        return watch.Elapsed;
    }

    private static async Task<TimeSpan> DrainAsync(NpgsqlDataSource dataSource, int workers)
    {
        var handler = new NoOpHandler();
        var pool = Enumerable.Range(0, workers).Select(i => new JobWorker(dataSource, [handler], options: WorkerOptions(i))).ToList();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(pool.Select(w => Task.Run(() => w.DrainAsync(CancellationToken.None))));
        return watch.Elapsed;
    }

    private static async Task VerifyAsync(NpgsqlDataSource dataSource, int jobs)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM ledger.jobs WHERE state = 'completed'");
        var completed = (long)(await command.ExecuteScalarAsync())!;
        if (completed != jobs)
        {
            throw new InvalidOperationException($"Expected {jobs} completed jobs, found {completed}.");
        }
    }

    private sealed class NoOpHandler : IJobHandler
    {
        public string JobType => QueueBenchmark.JobType;

        public JobPolicy Policy => JobPolicy.Default;

        public Task HandleAsync(JobContext context, CancellationToken ct) => Task.CompletedTask;
    }
}

/// <summary>BILLING_TEST_DB when set, otherwise a throwaway cluster (no fsync) deleted at the end;
/// the same recipe as tests/Billing.Testing/TestCluster.cs, which benchmarks must not reference.</summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private readonly EmbeddedPostgres? _cluster;
    private readonly string _admin;

    private BenchCluster(EmbeddedPostgres? cluster, string admin)
    {
        _cluster = cluster;
        _admin = admin;
    }

    public static async Task<BenchCluster> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable("BILLING_TEST_DB");
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new BenchCluster(null, external);
        }

        var dir = Path.Combine(Path.GetTempPath(), "billing-bench-" + Guid.NewGuid().ToString("N")[..12]);
        var cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir, Persistent: false, Durable: false, MaxConnections: 100));
        return new BenchCluster(cluster, cluster.ConnectionString());
    }

    /// <summary>A fresh, migrated database; the caller disposes the data source.</summary>
    public async Task<NpgsqlDataSource> NewDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 9)];
        await using (var connection = new NpgsqlConnection(_admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(_admin) { Database = name, MaxPoolSize = 32 };
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await Migrator.ForLedger(dataSource).ApplyAsync();
        return dataSource;
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAsync();
        }
    }
}
