namespace Billing.Ledger.EventStore;

/// <summary>Base of the typed errors the event store raises.</summary>
public abstract class EventStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The stream was not at the expected version; nothing was appended.</summary>
public sealed class WrongExpectedVersionException(string tenantId, string streamId, ExpectedVersion expected, long actualVersion, Exception? inner = null)
    : EventStoreException($"Stream {tenantId}/{streamId} was expected at version {expected} but is at {actualVersion}.", inner)
{
    public string TenantId { get; } = tenantId;
    public string StreamId { get; } = streamId;
    public ExpectedVersion Expected { get; } = expected;
    public long ActualVersion { get; } = actualVersion;
}

/// <summary>The stream is archived and accepts no further events.</summary>
public sealed class StreamArchivedException(string tenantId, string streamId, Exception? inner = null)
    : EventStoreException($"Stream {tenantId}/{streamId} is archived and accepts no more events.", inner)
{
    public string TenantId { get; } = tenantId;
    public string StreamId { get; } = streamId;
}

/// <summary>Some, but not all, of an append's event ids are stored already: not a clean retry.</summary>
public sealed class PartialDuplicateAppendException(string tenantId, string streamId, Exception? inner = null)
    : EventStoreException($"Some event ids of this append to {tenantId}/{streamId} are stored already; a retry must resend exactly the same events.", inner);

/// <summary>A stored event's wire type has no registered CLR type and no upcaster.</summary>
public sealed class UnknownEventTypeException(string wireType)
    : EventStoreException($"Unknown event type '{wireType}': register it in the EventTypeRegistry or add an upcaster.")
{
    public string WireType { get; } = wireType;
}
