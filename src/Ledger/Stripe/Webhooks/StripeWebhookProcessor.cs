using Npgsql;
using Billing.Ledger.EventStore;
using Microsoft.Extensions.Logging;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Processes one recorded Stripe event once: decides what it means, then commits the
/// domain effects, the <c>stripe.webhook_processed.v1</c> marker and the receipt's processed_at
/// in one unit of work (with the job's completion when run by the queue). Unknown types are
/// ignored and recorded; events for objects we never created are flagged; nothing crashes.</summary>
public sealed partial class StripeWebhookProcessor(
    EventStore.EventStore store,
    StripeTenantResolver resolver,
    IEnumerable<IStripeWebhookApplier> appliers,
    TimeProvider time,
    ILogger<StripeWebhookProcessor> logger)
{
    public const string JobType = "stripe.webhook.process";

    /// <summary>The job processing up to 16 events of one dispatch pass together.</summary>
    public const string BatchJobType = "stripe.webhook.process-batch";

    /// <summary>The event types the ledger acts on; any other type is recorded and ignored.</summary>
    public static readonly IReadOnlySet<string> HandledTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded", "charge.dispute.created",
        "invoice.created", "invoice.paid", "invoice.payment_failed",
        "customer.subscription.updated", "customer.subscription.deleted", "checkout.session.completed",
    };

    private const string ProcessedAtSql = "SELECT processed_at FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = $1";

    private readonly IReadOnlyList<IStripeWebhookApplier> _appliers = appliers.ToList();

    /// <summary>Resolves unmatched events again through the store's own data source.</summary>
    public StripeWebhookProcessor(EventStore.EventStore store, IEnumerable<IStripeWebhookApplier> appliers, TimeProvider time, ILogger<StripeWebhookProcessor> logger)
        : this(store, new StripeTenantResolver(store.DataSource), appliers, time, logger)
    {
    }

    /// <summary>Processes <paramref name="work"/>; <paramref name="commit"/> commits the unit of
    /// work (the job queue passes its complete-with, tests may pass a plain commit). Returns the
    /// outcome, or null when the event had been processed already.</summary>
    public async Task<WebhookApplication?> ProcessAsync(StripeWebhookWork work, EventMetadata metadata, Func<UnitOfWork, CancellationToken, Task> commit, CancellationToken ct)
    {
        if (await IsProcessedAsync(work.StripeEventId, ct))
        {
            LogSkipped(logger, work.StripeEventId);
            await commit(store.BeginUnitOfWork(metadata), ct);
            return null;
        }

        var context = Context(work, await ReadReceivedAsync(work, ct), metadata, new StripeWebhookLookups());
        var uow = store.BeginUnitOfWork(metadata);
        var (processed, application) = await DecideAsync(context, uow, ct);
        AddRecords(uow, [(context, processed)]);
        try
        {
            await commit(uow, ct);
        }
        catch (Exception ex) when (ex is PostgresException { SqlState: "LW001" } or WrongExpectedVersionException)
        {
            // Another run processed it between our check and our commit: nothing of ours was
            // written. Finish this run without effects.
            LogSkipped(logger, work.StripeEventId);
            await commit(store.BeginUnitOfWork(metadata), ct);
            return null;
        }

        LogCompleted(logger, work.StripeEventId, processed.Type, processed.Outcome, application.Detail);
        return application;
    }

    private static StripeWebhookContext Context(StripeWebhookWork work, StripeWebhookReceived received, EventMetadata metadata, StripeWebhookLookups lookups) =>
        new(work.TenantId, work.StripeEventId, received.Type, received.Matched, received.StripeCreatedAt, received, metadata) { Lookups = lookups };

    /// <summary>Decides what the event means: its effects go into <paramref name="uow"/>, followed
    /// by the processed marker (expected at version 1, so a second processing cannot append).
    /// The receipt's processed_at and the links are added by <see cref="AddRecords"/>.</summary>
    private async Task<(StripeWebhookProcessed Processed, WebhookApplication Application)> DecideAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct)
    {
        LogStarted(logger, context.StripeEventId, context.Type, context.TenantId);
        var application = await ApplyAsync(context, uow, ct);
        var processed = new StripeWebhookProcessed(context.StripeEventId, context.Type, application.Outcome.ToString().ToLowerInvariant(), application.Detail);
        uow.Append(context.TenantId, StripeWebhookStreams.StreamId(context.StripeEventId), StripeWebhookStreams.StreamType, ExpectedVersion.Exact(1),
            [new NewEvent(StripeWebhookStreams.ProcessedEventId(context.StripeEventId), processed)]);
        return (processed, application);
    }

    private async Task<WebhookApplication> ApplyAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct)
    {
        if (!HandledTypes.Contains(context.Type))
        {
            LogIgnored(logger, context.StripeEventId, context.Type, "type not handled");
            return new WebhookApplication(WebhookOutcome.Ignored, $"event type {context.Type} is not handled");
        }

        if (!context.Matched)
        {
            return await UnmatchedAsync(context, ct);
        }

        WebhookApplication? result = null;
        foreach (var applier in _appliers)
        {
            result = await applier.ApplyAsync(context, uow, ct) is { } applied ? Combine(result, applied) : result;
        }

        return result ?? new WebhookApplication(WebhookOutcome.Applied, "recorded");
    }

    /// <summary>An event no tenant owned when it arrived. Resolving again tells an object we
    /// never created from one that arrived before the event that linked it (a dispute delivered
    /// before its payment): the operator sees which tenant it belongs to.</summary>
    private async Task<WebhookApplication> UnmatchedAsync(StripeWebhookContext context, CancellationToken ct)
    {
        var now = await resolver.ResolveAsync(StripeWebhookEnvelope.FromPayload(context.Received.Payload), ct);
        var what = $"{context.Received.ObjectType} {context.Received.ObjectId}";
        return new WebhookApplication(WebhookOutcome.Flagged, now.Matched
            ? $"no tenant owned {what} when it arrived; it now resolves to tenant {now.TenantId} ({now.ResolvedBy}): it arrived before the event that linked it"
            : $"no tenant owns {what}: an object we never created");
    }

    /// <summary>Flagged beats applied beats ignored; details accumulate.</summary>
    private static WebhookApplication Combine(WebhookApplication? a, WebhookApplication b)
    {
        if (a is null)
        {
            return b;
        }

        static int Rank(WebhookOutcome o) => o switch { WebhookOutcome.Flagged => 2, WebhookOutcome.Applied => 1, _ => 0 };
        return new WebhookApplication(Rank(a.Outcome) >= Rank(b.Outcome) ? a.Outcome : b.Outcome, a.Detail + "; " + b.Detail);
    }
}
