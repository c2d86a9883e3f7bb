namespace Billing.Ledger.Collection;

/// <summary>An invoice's collection as its payment stream tells it.</summary>
/// <param name="Attempt">The latest attempt number (0: none yet).</param>
/// <param name="Open">The latest attempt has no outcome yet (it may or may not have charged).</param>
/// <param name="Retries">Re-runs spent so far: retryable declines plus interrupted calls.</param>
public sealed record PaymentState(
    long Version,
    int Attempt,
    PaymentAttempted? Current,
    bool Open,
    int Retries,
    DateTimeOffset? LastRetryableAt,
    PaymentSucceeded? Succeeded,
    PaymentCollectionStopped? Stopped,
    IReadOnlySet<string> Disputes,
    IReadOnlyDictionary<string, PaymentRefunded> Refunds)
{
    public static PaymentState Empty { get; } = new(0, 0, null, false, 0, null, null, null, new HashSet<string>(StringComparer.Ordinal), new Dictionary<string, PaymentRefunded>(StringComparer.Ordinal));

    public bool Finished => Succeeded is not null || Stopped is not null;

    public PaymentState Evolve(object e, long version) => (e switch
    {
        PaymentAttempted a => this with { Attempt = a.Attempt, Current = a, Open = true },
        PaymentSucceeded s => this with { Open = false, Succeeded = s },
        PaymentFailed f => this with { Open = false, Retries = Retries + (f.Retryable ? 1 : 0), LastRetryableAt = f.Retryable ? f.At : LastRetryableAt },
        PaymentInterrupted i => this with { Retries = Retries + 1, LastRetryableAt = i.At },
        PaymentCollectionStopped s => this with { Stopped = s },
        InvoiceDisputed d => this with { Disputes = new HashSet<string>(Disputes.Append(d.DisputeId), StringComparer.Ordinal) },
        PaymentRefunded r => this with { Refunds = new Dictionary<string, PaymentRefunded>(Refunds, StringComparer.Ordinal) { [r.RefundId] = r } },
        _ => this,
    }) with { Version = version };

    public static PaymentState Fold(IEnumerable<(object Data, long Version)> events) =>
        events.Aggregate(Empty, (s, e) => s.Evolve(e.Data, e.Version));
}
