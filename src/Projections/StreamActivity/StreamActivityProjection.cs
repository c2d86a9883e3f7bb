namespace Billing.Projections.StreamActivity;

/// <summary>Sample projection and the pattern to copy: one row per stream with how many events
/// it holds and what the last one was (<c>rm.stream_activity</c>, see docs/read-models.md).
/// Set-based: a batch is folded per stream in memory and written as ONE multi-row upsert (every
/// event of the log passes through here, so one statement per event would dominate the daemon's
/// cost). Every write is guarded by <c>last_version &lt; $version</c> and counts only versions
/// above the stored one, so it may run inline and a replayed event changes nothing. A rebuild
/// folds the log the same way and writes the rows by binary COPY. Uses headers only, so the
/// daemon reads no payloads for it.</summary>
public sealed class StreamActivityProjection : IBulkRebuildProjection
{
    public const string TableName = "stream_activity";

    // One row per stream of the batch: versions first..last of a stream are contiguous in a
    // batch (a stream's versions take increasing log positions, and a batch is a position range
    // or one unit of work), so the events above the stored last_version number
    // last - greatest(stored, first - 1), with first - 1 = last_version - event_count.
    private const string UpsertSql = """
        INSERT INTO {0} AS t (tenant_id, stream_id, event_count, last_version, last_type, last_event_id)
        SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::uuid[])
        ON CONFLICT (tenant_id, stream_id) DO UPDATE
           SET event_count = t.event_count + excluded.last_version - greatest(t.last_version, excluded.last_version - excluded.event_count),
               last_version = excluded.last_version,
               last_type = excluded.last_type,
               last_event_id = excluded.last_event_id
         WHERE t.last_version < excluded.last_version
        """;

    public string Name => "stream_activity";

    public IReadOnlyCollection<string>? EventTypes => null;

    /// <summary>Only headers are used: the daemon skips every payload (a Stripe webhook's is ~1.4 KB).</summary>
    public bool ReadsEventData => false;

    public IReadOnlyList<ReadModelTable> Tables { get; } =
    [
        new(TableName, """
            tenant_id     text   NOT NULL,
            stream_id     text   NOT NULL,
            event_count   bigint NOT NULL,
            last_version  bigint NOT NULL,
            last_type     text   NOT NULL,
            last_event_id uuid   NOT NULL
            """, "tenant_id, stream_id"),
    ];

    public void Apply(IReadOnlyList<ProjectedEvent> events, IProjectionWriter writer)
    {
        var fold = new Fold();
        fold.Add(events);
        if (fold.Rows == 0)
        {
            return;
        }

        var rows = fold.Streams;
        writer.Execute(string.Format(System.Globalization.CultureInfo.InvariantCulture, UpsertSql, writer.Table(TableName)),
            rows.Select(r => r.Key.Tenant).ToArray(),
            rows.Select(r => r.Key.Stream).ToArray(),
            rows.Select(r => r.Value.Count).ToArray(),
            rows.Select(r => r.Value.Version).ToArray(),
            rows.Select(r => r.Value.Type).ToArray(),
            rows.Select(r => r.Value.EventId).ToArray());
    }

    public IProjectionFold StartFold() => new Fold();

    /// <summary>What the upsert leaves, per stream: only a higher version counts and replaces the last event.</summary>
    private sealed class Fold : IProjectionFold
    {
        private readonly Dictionary<(string Tenant, string Stream), (long Count, long Version, string Type, Guid EventId)> _streams = [];

        public long Rows => _streams.Count;

        public IReadOnlyDictionary<(string Tenant, string Stream), (long Count, long Version, string Type, Guid EventId)> Streams => _streams;

        public void Add(IReadOnlyList<ProjectedEvent> events)
        {
            foreach (var e in events)
            {
                ref var row = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_streams, (e.TenantId, e.StreamId), out var exists);
                if (!exists || row.Version < e.Version)
                {
                    row = (row.Count + 1, e.Version, e.Type, e.EventId);
                }
            }
        }

        public async Task CopyToAsync(IBulkCopyTarget target, CancellationToken ct)
        {
            await using var copy = await target.BeginAsync(TableName, "tenant_id, stream_id, event_count, last_version, last_type, last_event_id", ct);
            foreach (var ((tenant, stream), (count, version, type, eventId)) in _streams)
            {
                await copy.WriteRowAsync(ct, tenant, stream, count, version, type, eventId);
            }

            await copy.CompleteAsync(ct);
        }
    }
}
