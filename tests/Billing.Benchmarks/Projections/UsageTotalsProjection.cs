using System.Globalization;
using Billing.Ledger.EventStore;
using Billing.Projections;
using NpgsqlTypes;

namespace Billing.Benchmarks.Projections;

[EventType("bench.usage_recorded.v1")]
public sealed record BenchUsageRecorded(string Meter, decimal Quantity);

/// <summary>The benchmark's simple projection, written batch-wise: a page is folded in memory
/// per stream and written as one multi-row upsert (unnest arrays), not one statement per event.</summary>
public sealed class UsageTotalsProjection : IProjection
{
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
        new("bench_usage_totals", "tenant_id text NOT NULL, stream_id text NOT NULL, events bigint NOT NULL, quantity numeric NOT NULL, last_version bigint NOT NULL", "tenant_id, stream_id"),
    ];

    public void Apply(IReadOnlyList<ProjectedEvent> events, IProjectionWriter writer)
    {
        var totals = new Dictionary<(string Tenant, string Stream), (long Events, decimal Quantity, long Version)>();
        foreach (var e in events)
        {
            var usage = (BenchUsageRecorded)e.Data;
            totals.TryGetValue((e.TenantId, e.StreamId), out var t);
            totals[(e.TenantId, e.StreamId)] = (t.Events + 1, t.Quantity + usage.Quantity, Math.Max(t.Version, e.Version));
        }

        writer.Execute(
            string.Format(CultureInfo.InvariantCulture, UpsertSql, writer.Table("bench_usage_totals")),
            Array(totals.Keys.Select(k => k.Tenant).ToArray(), NpgsqlDbType.Text),
            Array(totals.Keys.Select(k => k.Stream).ToArray(), NpgsqlDbType.Text),
            Array(totals.Values.Select(v => v.Events).ToArray(), NpgsqlDbType.Bigint),
            Array(totals.Values.Select(v => v.Quantity).ToArray(), NpgsqlDbType.Numeric),
            Array(totals.Values.Select(v => v.Version).ToArray(), NpgsqlDbType.Bigint));
    }

    private static Npgsql.NpgsqlParameter Array<T>(T[] values, NpgsqlDbType type) =>
        new Npgsql.NpgsqlParameter<T[]> { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | type };
}
