using Billing.Ledger.Observability;
using Npgsql;

namespace Billing.Ledger.EventStore;

/// <summary>The per-tenant event store on PostgreSQL. Thread-safe; one per data source.</summary>
public sealed partial class EventStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _clock;
    private readonly IReadOnlyList<IInlineProjection> _inlineProjections;
    private readonly BillingMetrics? _metrics;

    public EventStore(NpgsqlDataSource dataSource, EventTypeRegistry registry, TimeProvider? clock = null, IEnumerable<IInlineProjection>? inlineProjections = null, BillingMetrics? metrics = null)
    {
        _dataSource = dataSource;
        Registry = registry;
        _clock = clock ?? TimeProvider.System;
        _inlineProjections = inlineProjections?.ToList() ?? [];
        _metrics = metrics;
    }

    public EventTypeRegistry Registry { get; }

    public NpgsqlDataSource DataSource => _dataSource;

    /// <summary>The store's clock, so work enqueued with a unit of work shares its time.</summary>
    internal TimeProvider Clock => _clock;

    /// <summary>Starts a unit of work. Metadata without a correlation id takes the ambient one
    /// (<see cref="CorrelationScope"/>), so appends made anywhere inside a request or job carry it.</summary>
    public UnitOfWork BeginUnitOfWork(EventMetadata? metadata = null)
    {
        metadata ??= EventMetadata.Empty;
        if (metadata.CorrelationId is null && CorrelationScope.Current is { } ambient)
        {
            metadata = metadata with { CorrelationId = ambient };
        }

        return new(this, metadata);
    }

    /// <summary>Appends to one stream in one round trip.</summary>
    public async Task<AppendResult> AppendAsync(string tenantId, string streamId, string streamType, ExpectedVersion expected, IEnumerable<NewEvent> events, EventMetadata? metadata = null, CancellationToken ct = default)
    {
        var results = await BeginUnitOfWork(metadata).Append(tenantId, streamId, streamType, expected, events).CommitAsync(ct);
        return results[0];
    }

    /// <summary>A view of the store that only ever touches one tenant's streams.</summary>
    public TenantEventStore ForTenant(string tenantId) => new(this, tenantId);

    public async Task<bool> ArchiveStreamAsync(string tenantId, string streamId, CancellationToken ct = default)
    {
        const string sql = "UPDATE ledger.streams SET archived = true WHERE tenant_id = $1 AND stream_id = $2";
        await using var command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = streamId });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>The store's time for recorded_at: null (the database's now()) on the system clock,
    /// the test clock's time otherwise, so demos and tests that advance time see it in the log.</summary>
    private DateTimeOffset? RecordedAtOverride() =>
        ReferenceEquals(_clock, TimeProvider.System) ? null : _clock.GetUtcNow();
}

/// <summary>Stream facts without its events.</summary>
public sealed record StreamInfo(string TenantId, string StreamId, string Type, long Version, DateTimeOffset CreatedAt, bool Archived);

/// <summary>Tenant-scoped access: every call carries this tenant id, so it cannot reach another
/// tenant's streams whatever stream id it is given.</summary>
public sealed class TenantEventStore(EventStore store, string tenantId)
{
    public string TenantId { get; } = tenantId;

    public Task<IReadOnlyList<RecordedEvent>> ReadStreamAsync(string streamId, StreamReadOptions? options = null, CancellationToken ct = default) =>
        store.ReadStreamAsync(TenantId, streamId, options, ct);

    public Task<StreamInfo?> GetStreamAsync(string streamId, CancellationToken ct = default) => store.GetStreamAsync(TenantId, streamId, ct);

    public Task<AppendResult> AppendAsync(string streamId, string streamType, ExpectedVersion expected, IEnumerable<NewEvent> events, EventMetadata? metadata = null, CancellationToken ct = default) =>
        store.AppendAsync(TenantId, streamId, streamType, expected, events, metadata, ct);
}
