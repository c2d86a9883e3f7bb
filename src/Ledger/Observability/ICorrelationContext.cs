namespace Billing.Ledger.Observability;

/// <summary>The correlation id of the current unit of work, for code that takes dependencies
/// (job enqueuers, the Stripe client). Backed by <see cref="CorrelationScope"/>.</summary>
public interface ICorrelationContext
{
    /// <summary>The current id, or null outside a request/job.</summary>
    string? CorrelationId { get; }
}

public sealed class AmbientCorrelationContext : ICorrelationContext
{
    public string? CorrelationId => CorrelationScope.Current;
}
