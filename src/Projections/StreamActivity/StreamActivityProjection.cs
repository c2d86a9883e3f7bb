namespace Billing.Projections.StreamActivity;

/// <summary>Sample projection and the pattern to copy: one row per stream with how many events
/// it holds and what the last one was (<c>rm.stream_activity</c>, see docs/read-models.md).
/// Every write is guarded by <c>last_version &lt; $version</c>, so it may run inline and a
/// replayed event changes nothing.</summary>
public sealed class StreamActivityProjection : EventProjection
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
}
