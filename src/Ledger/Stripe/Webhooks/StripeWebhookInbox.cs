using System.Threading.Channels;
using Billing.Ledger.EventStore;
using Billing.Ledger.Observability;
using Microsoft.Extensions.Logging;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>How the inbox group-commits deliveries (docs/stripe.md "Acceptance is
/// group-committed"): at most <see cref="MaxInFlight"/> recording transactions at once, and
/// beside one in flight another starts only once <see cref="GatherAt"/> deliveries wait (fewer
/// gather and go when it commits). 1 for <see cref="GatherAt"/> starts a transaction for any
/// delivery while fewer than <see cref="MaxInFlight"/> are in flight.</summary>
public sealed record StripeWebhookBatching
{
    public const int DefaultMaxInFlight = 2;

    public const int DefaultGatherAt = 4;

    public int MaxInFlight { get; init; } = DefaultMaxInFlight;

    public int GatherAt { get; init; } = DefaultGatherAt;
}

/// <summary>The outcome of recording one verified delivery.</summary>
public sealed record StripeWebhookReceipt(string StripeEventId, string Type, string TenantId, bool Matched, bool Duplicate);

/// <summary>Records verified Stripe events durably and exactly once: each delivery's
/// <c>stripe.webhook_received.v1</c> event, appended on a stream named after its Stripe event id.
/// That append is all the acknowledgement waits for; the event's receipt and processing job are
/// written afterwards by the <see cref="StripeWebhookDispatcher"/>, which reads the recorded
/// events back from the log (docs/stripe.md "Acceptance and dispatch"). Deliveries arriving
/// together are committed together (group commit, see <c>StripeWebhookInbox.Batch.cs</c>): one
/// transaction and one WAL flush for every delivery waiting at that moment instead of one each.
/// A caller's task completes only after its delivery's transaction committed; a duplicate,
/// however many copies arrive at once and in whichever batches, is resolved by the idempotent
/// append of its event (whose id derives from the Stripe event id) and answered as a duplicate.</summary>
public sealed partial class StripeWebhookInbox : IAsyncDisposable, IDisposable
{
    /// <summary>Deliveries committed in one transaction at most.</summary>
    public const int MaxBatch = 256;

    private readonly EventStore.EventStore _store;
    private readonly StripeTenantResolver _resolver;
    private readonly StripeWebhookDispatcher? _dispatcher;
    private readonly ILogger<StripeWebhookInbox> _logger;
    private readonly BillingMetrics? _metrics;
    private readonly StripeWebhookStormHold? _storm;
    private readonly Channel<Delivery> _arrivals = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public StripeWebhookInbox(
        EventStore.EventStore store,
        StripeTenantResolver resolver,
        StripeWebhookDispatcher? dispatcher,
        ILogger<StripeWebhookInbox> logger,
        BillingMetrics? metrics = null,
        StripeWebhookStormHold? storm = null,
        StripeWebhookBatching? batching = null)
    {
        batching ??= new StripeWebhookBatching();
        ArgumentOutOfRangeException.ThrowIfLessThan(batching.MaxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batching.GatherAt, 1);
        _store = store;
        _resolver = resolver;
        _dispatcher = dispatcher;
        _logger = logger;
        _metrics = metrics;
        _storm = storm;
        Batching = batching;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>How this inbox shares transactions between deliveries.</summary>
    public StripeWebhookBatching Batching { get; }

    /// <summary>Records the event (already signature-verified) unless it was recorded before.
    /// Returns once the delivery is durable (or known to be a duplicate); throws when it could
    /// not be recorded (nothing of it was written then). <paramref name="ct"/> only stops the
    /// wait: a delivery handed to the writer is committed or rejected as a whole regardless.</summary>
    public async Task<StripeWebhookReceipt> AcceptAsync(ReadOnlyMemory<byte> body, EventMetadata metadata, CancellationToken ct)
    {
        var e = StripeWebhookEnvelope.Parse(body);
        var tenant = await _resolver.ResolveAsync(e, ct);
        var delivery = new Delivery(e, tenant, metadata with { CausationId = metadata.CausationId ?? e.Id });
        if (!_arrivals.Writer.TryWrite(delivery))
        {
            throw new ObjectDisposedException(nameof(StripeWebhookInbox), "The webhook inbox is shutting down.");
        }

        SignalArrival();

        var receipt = await delivery.Outcome.Task.WaitAsync(ct);
        _storm?.Accepted();
        if (receipt.Duplicate)
        {
            _metrics?.WebhookReceived(e.Type, "duplicate");
            LogDuplicate(_logger, e.Id, e.Type);
        }
        else
        {
            _metrics?.WebhookReceived(e.Type, "accepted");
            LogAccepted(_logger, e.Id, e.Type, tenant.TenantId, tenant.ResolvedBy);
        }

        return receipt;
    }

    /// <summary>Stops taking deliveries and waits for those already taken to be committed.</summary>
    public async ValueTask DisposeAsync()
    {
        _arrivals.Writer.TryComplete();
        await _writer;
    }

    /// <summary>For a container disposed synchronously: stops taking deliveries; those already
    /// taken still commit (or fail) and are answered.</summary>
    public void Dispose() => _arrivals.Writer.TryComplete();

    /// <summary>One verified delivery waiting for its batch.</summary>
    private sealed class Delivery(StripeWebhookEnvelope envelope, TenantResolution tenant, EventMetadata metadata)
    {
        public StripeWebhookEnvelope Envelope { get; } = envelope;

        public TenantResolution Tenant { get; } = tenant;

        public EventMetadata Metadata { get; } = metadata;

        public TaskCompletionSource<StripeWebhookReceipt> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Answer(bool duplicate) =>
            Outcome.TrySetResult(new StripeWebhookReceipt(Envelope.Id, Envelope.Type, Tenant.TenantId, Tenant.Matched && !duplicate, duplicate));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook accepted and queued {StripeEventId} {EventType} tenant={TenantId} resolved_by={ResolvedBy}")]
    private static partial void LogAccepted(ILogger logger, string stripeEventId, string eventType, string tenantId, string resolvedBy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe webhook duplicate ignored {StripeEventId} {EventType}")]
    private static partial void LogDuplicate(ILogger logger, string stripeEventId, string eventType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe webhook batch of {Count} deliveries failed; committing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stripe webhook {StripeEventId} {EventType} could not be recorded")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception, string stripeEventId, string eventType);
}
