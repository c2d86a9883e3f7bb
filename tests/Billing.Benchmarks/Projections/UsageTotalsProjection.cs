using System.Globalization;
using Billing.Ledger.EventStore;
using Billing.Projections;
using NpgsqlTypes;

namespace Billing.Benchmarks.Projections;

[EventType("bench.usage_recorded.v1")]
public sealed record BenchUsageRecorded(string Meter, decimal Quantity);

/// <summary>The benchmark's simple projection, written batch-wise: a page is folded in memory
/// per stream and written as one multi-row upsert (unnest arrays), not one statement per event.
/// A rebuild folds the whole log the same way and writes the totals once by binary COPY.</summary>
public sealed class UsageTotalsProjection : IBulkRebuildProjection
{
    private const string Table = "bench_usage_totals";

    private const string UpsertSql = """
        INSERT INTO {0} AS t (tenant_id, stream_id, events, quantity, last_version)
        SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::numeric[], $5::bigint[])
        ON CONFLICT (tenant_id, stream_id) DO UPDATE
           SET events = t.events + excluded.events, quantity = t.quantity + excluded.quantity, last_version = excluded.last_version
         WHERE t.last_version < excluded.last_version
        """;

    public string Name => "bench_usage_totals";

    public IReadOnlyCollection<string>? EventTypes { get; } = ["bench.usage_recorded.v1"];

    public IReadOnlyList<ReadModelTable> Tables { get; } =
    [
        new(Table, "tenant_id text NOT NULL, stream_id text NOT NULL, events bigint NOT NULL, quantity numeric NOT NULL, last_version bigint NOT NULL", "tenant_id, stream_id"),
    ];

    public void Apply(IReadOnlyList<ProjectedEvent> events, IProjectionWriter writer)
    {
        var totals = new Totals();
        totals.Add(events);
        writer.Execute(
            string.Format(CultureInfo.InvariantCulture, UpsertSql, writer.Table(Table)),
            Array(totals.ByStream.Keys.Select(k => k.Tenant).ToArray(), NpgsqlDbType.Text),
            Array(totals.ByStream.Keys.Select(k => k.Stream).ToArray(), NpgsqlDbType.Text),
            Array(totals.ByStream.Values.Select(v => v.Events).ToArray(), NpgsqlDbType.Bigint),
            Array(totals.ByStream.Values.Select(v => v.Quantity).ToArray(), NpgsqlDbType.Numeric),
            Array(totals.ByStream.Values.Select(v => v.Version).ToArray(), NpgsqlDbType.Bigint));
    }

    public IProjectionFold StartFold() => new Totals();

    private static Npgsql.NpgsqlParameter Array<T>(T[] values, NpgsqlDbType type) =>
        new Npgsql.NpgsqlParameter<T[]> { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | type };

    /// <summary>Totals per stream; a page's (for an upsert) or a whole rebuild's (for COPY).</summary>
    private sealed class Totals : IProjectionFold
    {
        public Dictionary<(string Tenant, string Stream), (long Events, decimal Quantity, long Version)> ByStream { get; } = [];

        public long Rows => ByStream.Count;

        public void Add(IReadOnlyList<ProjectedEvent> events)
        {
            foreach (var e in events)
            {
                var usage = (BenchUsageRecorded)e.Data;
                ref var t = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(ByStream, (e.TenantId, e.StreamId), out _);
                t = (t.Events + 1, t.Quantity + usage.Quantity, Math.Max(t.Version, e.Version));
            }
        }

        public async Task CopyToAsync(IBulkCopyTarget target, CancellationToken ct)
        {
            await using var copy = await target.BeginAsync(Table, "tenant_id, stream_id, events, quantity, last_version", ct);
            foreach (var ((tenant, stream), (events, quantity, version)) in ByStream)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(tenant, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(stream, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(events, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(quantity, NpgsqlDbType.Numeric, ct);
                await copy.WriteAsync(version, NpgsqlDbType.Bigint, ct);
            }

            await copy.CompleteAsync(ct);
        }
    }
}
