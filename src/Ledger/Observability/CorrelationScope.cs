namespace Billing.Ledger.Observability;

/// <summary>The ambient correlation id of the work in progress (an HTTP request, a job, a webhook).
/// It flows with the async call chain, so code far from the request — the event store filling in
/// metadata, a job enqueue, a Stripe call — carries the same id without threading it through
/// every signature.</summary>
public static class CorrelationScope
{
    private static readonly AsyncLocal<string?> Ambient = new();

    /// <summary>The current correlation id, or null outside any scope.</summary>
    public static string? Current => Ambient.Value;

    /// <summary>Sets the ambient id until the returned scope is disposed (then the previous id,
    /// if any, is back).</summary>
    public static IDisposable Begin(string correlationId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(correlationId);
        var previous = Ambient.Value;
        Ambient.Value = correlationId;
        return new Restore(previous);
    }

    /// <summary>A fresh id for work that starts without one (a scheduled job run).</summary>
    public static string NewId() => Guid.CreateVersion7().ToString("N");

    private sealed class Restore(string? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
