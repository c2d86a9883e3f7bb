namespace Billing.Projections.StreamActivity;

/// <summary>Sample projection and the pattern to copy: one row per stream with how many events
/// it holds and what the last one was (<c>rm.stream_activity</c>, see docs/read-models.md).
/// Every write is guarded by <c>last_version &lt; $version</c>, so it may run inline and a
/// replayed event changes nothing. A rebuild folds the log in memory the same way (one row per
/// stream) and writes the rows by binary COPY.</summary>
public sealed class StreamActivityProjection : EventProjection, IBulkRebuildProjection
{
    public const string TableName = "stream_activity";

    private const string UpsertSql = """
        INSERT INTO {0} AS t (tenant_id, stream_id, event_count, last_version, last_type, last_event_id)
        VALUES ($1, $2, 1, $3, $4, $5)
        ON CONFLICT (tenant_id, stream_id) DO UPDATE
           SET event_count = t.event_count + 1,
               last_version = excluded.last_version,
               last_type = excluded.last_type,
               last_event_id = excluded.last_event_id
         WHERE t.last_version < excluded.last_version
        """;

    public override string Name => "stream_activity";

    public override IReadOnlyCollection<string>? EventTypes => null;

    /// <summary>Only headers are used: the daemon skips every payload (a Stripe webhook's is ~1.4 KB).</summary>
    public override bool ReadsEventData => false;

    public override IReadOnlyList<ReadModelTable> Tables { get; } =
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

    protected override void Apply(ProjectedEvent e, IProjectionWriter writer) =>
        writer.Execute(string.Format(System.Globalization.CultureInfo.InvariantCulture, UpsertSql, writer.Table(TableName)), e.TenantId, e.StreamId, e.Version, e.Type, e.EventId);

    public IProjectionFold StartFold() => new Fold();

    /// <summary>What the upsert leaves, per stream: only a higher version counts and replaces the last event.</summary>
    private sealed class Fold : IProjectionFold
    {
        private readonly Dictionary<(string Tenant, string Stream), (long Count, long Version, string Type, Guid EventId)> _streams = [];

        public long Rows => _streams.Count;

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
