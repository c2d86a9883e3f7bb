namespace Billing.Projections;

/// <summary>A read model definition: which events it reads, which tables it owns in schema
/// <c>rm</c>, and how a batch of events turns into SQL. The same definition runs inline (inside
/// the append's transaction), in the async daemon, in a rebuild into a shadow table and in an
/// as-of build into a temporary table; only the <see cref="IProjectionWriter"/> differs.</summary>
/// <remarks>
/// Invariants every projection keeps:
/// <list type="bullet">
/// <item>Pure: <see cref="Apply"/> reads nothing and writes only through the writer, always
/// naming tables with <see cref="IProjectionWriter.Table"/>.</item>
/// <item>Events arrive in commit order; one batch may hold many events of the same stream and
/// of the same row (a daemon page, or one unit of work's appends).</item>
/// <item>Inline projections must be idempotent: a replayed unit of work (an idempotent retry
/// of an append) runs <see cref="Apply"/> again. Rows whose key includes the stream carry a
/// <c>last_version</c> column and every write is guarded by <c>last_version &lt; $version</c>.</item>
/// <item><see cref="ProjectedEvent.Position"/> and <see cref="ProjectedEvent.RecordedAt"/> are
/// unknown inline (null); a projection that may run inline takes times from the event data.</item>
/// </list>
/// </remarks>
public interface IProjection
{
    /// <summary>Stable name, snake_case (<c>usage_daily</c>); keys its checkpoint and dead letters.</summary>
    string Name { get; }

    /// <summary>Wire names it handles (<c>invoice.finalized.v1</c>); null means every event.</summary>
    IReadOnlyCollection<string>? EventTypes { get; }

    /// <summary>Tables it owns in schema <c>rm</c>; created when absent, swapped as a set on rebuild.</summary>
    IReadOnlyList<ReadModelTable> Tables { get; }

    /// <summary>Turns a batch of events (in commit order) into SQL commands on the writer.</summary>
    void Apply(IReadOnlyList<ProjectedEvent> events, IProjectionWriter writer);

    /// <summary>False for a projection that uses only events' headers (ids, stream, version,
    /// type, metadata): the async daemon then reads pages without their payloads, which the
    /// server does not render and the daemon does not deserialise, and
    /// <see cref="ProjectedEvent.Data"/> is <see cref="Billing.Ledger.EventStore.EventDataNotRead.Instance"/>.
    /// Inline, rebuild and as-of runs still pass the data.</summary>
    bool ReadsEventData => true;
}

/// <summary>Where a projection's SQL goes. Table names resolve to the live table
/// (<c>rm.usage_daily</c>), the rebuild's shadow (<c>rm.usage_daily__shadow</c>) or an as-of
/// build's temporary table, so a projection never spells a table name itself.</summary>
public interface IProjectionWriter
{
    /// <summary>The quoted, schema-qualified table to use for a logical table name of this projection.</summary>
    string Table(string logicalName);

    /// <summary>Queues one parameterised statement (<c>$1, $2, ...</c>); null arguments are SQL NULL.
    /// Statements run in order, in the transaction that also records the batch's progress.</summary>
    void Execute(string sql, params object?[] args);
}

/// <summary>A table a projection owns. <paramref name="Columns"/> is the body of
/// <c>CREATE TABLE</c> without the key (<c>tenant_id text NOT NULL, day date NOT NULL, ...</c>);
/// <paramref name="Key"/> is the primary key's column list (<c>tenant_id, day</c>);
/// <paramref name="Indexes"/> are extra column lists to index (<c>tenant_id, period_start</c>).</summary>
public sealed record ReadModelTable(string Name, string Columns, string Key, IReadOnlyList<string>? Indexes = null);

/// <summary>An event as a projection sees it.</summary>
/// <param name="Position">Commit-order position in the log; null inline (not assigned yet when the projection runs).</param>
/// <param name="RecordedAt">When the log recorded it; null inline.</param>
public sealed record ProjectedEvent(
    Guid EventId,
    string TenantId,
    string StreamId,
    long Version,
    string Type,
    object Data,
    Billing.Ledger.EventStore.EventMetadata Metadata,
    Billing.Ledger.EventStore.LogPosition? Position,
    DateTimeOffset? RecordedAt)
{
    public static ProjectedEvent From(Billing.Ledger.EventStore.RecordedEvent e) =>
        new(e.EventId, e.TenantId, e.StreamId, e.Version, e.Type, e.Data, e.Metadata, e.Position, e.RecordedAt);

    public static ProjectedEvent From(Billing.Ledger.EventStore.PendingEvent e) =>
        new(e.EventId, e.TenantId, e.StreamId, e.Version, e.Type, e.Data, e.Metadata, null, null);
}

/// <summary>Convenience base for projections written one event at a time.</summary>
public abstract class EventProjection : IProjection
{
    public abstract string Name { get; }

    public abstract IReadOnlyCollection<string>? EventTypes { get; }

    public abstract IReadOnlyList<ReadModelTable> Tables { get; }

    /// <inheritdoc cref="IProjection.ReadsEventData"/>
    public virtual bool ReadsEventData => true;

    public void Apply(IReadOnlyList<ProjectedEvent> events, IProjectionWriter writer)
    {
        foreach (var e in events)
        {
            Apply(e, writer);
        }
    }

    /// <summary>Turns one event into SQL commands on the writer.</summary>
    protected abstract void Apply(ProjectedEvent e, IProjectionWriter writer);
}
