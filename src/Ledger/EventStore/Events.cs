namespace Billing.Ledger.EventStore;

/// <summary>An event about to be appended. The id makes retries idempotent: derive it from the
/// command's idempotency key when the command can be retried.</summary>
public sealed record NewEvent(Guid EventId, object Data, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static NewEvent For(object data) => new(Guid.CreateVersion7(), data);
}

/// <summary>An event as stored, with its data deserialised to the current CLR shape.</summary>
public sealed record RecordedEvent(
    long GlobalPosition,
    ulong TxId,
    Guid EventId,
    string TenantId,
    string StreamId,
    long Version,
    string Type,
    object Data,
    EventMetadata Metadata,
    DateTimeOffset RecordedAt)
{
    public LogPosition Position => new(TxId, GlobalPosition);
}

/// <summary>The data of an event read without its payload (a header-only read, e.g. for a
/// projection that declares it uses headers only).</summary>
public sealed class EventDataNotRead
{
    public static EventDataNotRead Instance { get; } = new();

    private EventDataNotRead()
    {
    }

    public override string ToString() => "(data not read)";
}

/// <summary>The outcome of appending to one stream.</summary>
public sealed record AppendResult(
    string TenantId,
    string StreamId,
    long FirstVersion,
    long LastVersion,
    long FirstPosition,
    long LastPosition,
    bool Duplicate);

/// <summary>A page of the whole log in commit order. <see cref="Next"/> is the checkpoint to pass
/// to the following read (unchanged when the page is empty).</summary>
public sealed record LogPage(IReadOnlyList<RecordedEvent> Events, LogPosition Next);

/// <summary>Restricts a read of the whole log.</summary>
public sealed record LogFilter(string? TenantId = null, IReadOnlyCollection<string>? Types = null)
{
    public static LogFilter All { get; } = new();
}
