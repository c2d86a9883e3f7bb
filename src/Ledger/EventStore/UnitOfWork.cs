using Billing.Ledger.Postgres;
using Npgsql;

namespace Billing.Ledger.EventStore;

/// <summary>One atomic write to the ledger: appends to one or more streams plus any extra SQL
/// that must commit with them (inline projection writes, job enqueues, dedupe records).
/// Everything commits together or not at all.</summary>
public sealed class UnitOfWork
{
    private readonly EventStore _store;
    private readonly List<PendingAppend> _appends = [];
    private readonly List<NpgsqlBatchCommand> _commands = [];

    internal UnitOfWork(EventStore store, EventMetadata metadata)
    {
        _store = store;
        Metadata = metadata;
    }

    public EventMetadata Metadata { get; }

    internal TimeProvider Clock => _store.Clock;

    internal NpgsqlDataSource DataSource => _store.DataSource;

    internal IReadOnlyList<PendingAppend> Appends => _appends;

    internal IReadOnlyList<NpgsqlBatchCommand> Commands => _commands;

    public bool IsEmpty => _appends.Count == 0 && _commands.Count == 0;

    /// <summary>Set when a job due now was added (see <c>UnitOfWorkJobExtensions</c>).</summary>
    internal bool EnqueuesDueJob { get; set; }

    private bool _appendedNew;

    internal void MarkWritten(IReadOnlyList<AppendResult> results) => _appendedNew |= results.Any(r => !r.Duplicate);

    /// <summary>Wakes listening projection daemons and job workers in every process. Called by
    /// the store after a commit it owns; a caller that committed inside its own transaction
    /// calls it after that transaction commits (before, listeners would look too early and
    /// wait for their polling fallback). See <see cref="ChangeNotifier"/>.</summary>
    public void NotifyCommitted()
    {
        var notifier = ChangeNotifier.For(DataSource);
        if (_appendedNew)
        {
            notifier.Pulse(LedgerChannels.Events);
        }

        if (EnqueuesDueJob)
        {
            notifier.Pulse(LedgerChannels.Jobs);
        }
    }

    public UnitOfWork Append(string tenantId, string streamId, string streamType, ExpectedVersion expected, IEnumerable<NewEvent> events) =>
        Append(tenantId, streamId, streamType, expected, events, null);

    /// <summary>Appends with metadata of its own (correlation, causation, actor, headers) instead
    /// of the unit of work's: for a unit of work that records several independent requests at
    /// once (a group commit), so each event keeps its own request's ids.</summary>
    public UnitOfWork Append(string tenantId, string streamId, string streamType, ExpectedVersion expected, IEnumerable<NewEvent> events, EventMetadata? metadata)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        ArgumentException.ThrowIfNullOrWhiteSpace(streamId);
        var list = events.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("An append needs at least one event.", nameof(events));
        }

        _appends.Add(new PendingAppend(tenantId, streamId, streamType, expected, list, metadata));
        return this;
    }

    public UnitOfWork Append(string tenantId, string streamId, string streamType, ExpectedVersion expected, params object[] events) =>
        Append(tenantId, streamId, streamType, expected, events.Select(e => e as NewEvent ?? NewEvent.For(e)));

    /// <summary>Takes over <paramref name="other"/>'s appends (each keeping its own metadata, else
    /// <paramref name="other"/>'s) and commands, so units of work decided independently (one per
    /// job of a batch) commit as one, in one round trip. <paramref name="other"/> is left empty.</summary>
    public UnitOfWork Include(UnitOfWork other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _appends.AddRange(other._appends.Select(a => a with { Metadata = a.Metadata ?? other.Metadata }));
        _commands.AddRange(other._commands);
        EnqueuesDueJob |= other.EnqueuesDueJob;
        other._appends.Clear();
        other._commands.Clear();
        return this;
    }

    /// <summary>Adds SQL that commits in the same transaction as the appends.</summary>
    public UnitOfWork AddCommand(NpgsqlBatchCommand command)
    {
        _commands.Add(command);
        return this;
    }

    public UnitOfWork AddCommand(string sql, params object?[] positionalParameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in positionalParameters)
        {
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return AddCommand(command);
    }

    /// <summary>Commits on a connection of its own, in one round trip when every append's
    /// starting version is known (see docs/architecture.md).</summary>
    public Task<IReadOnlyList<AppendResult>> CommitAsync(CancellationToken ct = default) => _store.CommitAsync(this, null, null, ct);

    /// <summary>Commits inside a transaction the caller owns (a job handler completing its job).</summary>
    public Task<IReadOnlyList<AppendResult>> CommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct = default) =>
        _store.CommitAsync(this, connection, transaction, ct);
}

internal sealed record PendingAppend(string TenantId, string StreamId, string StreamType, ExpectedVersion Expected, IReadOnlyList<NewEvent> Events, EventMetadata? Metadata = null);

/// <summary>An event being appended, with the version it gets, as inline projections see it.</summary>
public sealed record PendingEvent(Guid EventId, string TenantId, string StreamId, long Version, string Type, object Data, EventMetadata Metadata);

/// <summary>A read model updated in the append's own transaction. Writes must be guarded by
/// stream version (apply only when the row's version is lower) so replays are no-ops.</summary>
public interface IInlineProjection
{
    void Project(IReadOnlyList<PendingEvent> events, UnitOfWork unitOfWork);
}
