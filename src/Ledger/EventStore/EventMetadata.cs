namespace Billing.Ledger.EventStore;

/// <summary>Who and what caused an append. The correlation id ties an HTTP request, its events,
/// its jobs and its Stripe calls together; free headers travel in the metadata jsonb.</summary>
public sealed record EventMetadata(
    string? CorrelationId = null,
    string? CausationId = null,
    string? Actor = null,
    IReadOnlyDictionary<string, string>? Headers = null)
{
    public static EventMetadata Empty { get; } = new();
}
