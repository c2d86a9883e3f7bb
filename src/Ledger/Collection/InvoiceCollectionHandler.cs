using System.Globalization;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Jobs;
using Billing.Ledger.Observability;
using Billing.Ledger.Stripe;
using Microsoft.Extensions.Logging;

namespace Billing.Ledger.Collection;

/// <summary>Runs <c>invoice.collect</c>: charges the tenant's default payment method for what
/// the invoice still owes. Never two charges for one invoice:
/// (a) the attempt is appended at an exact payment-stream version BEFORE Stripe is called, so of
///     two concurrent runners one loses with a conflict and charges nothing;
/// (b) the invoice is re-read right before the call and must still be open with that amount due;
/// (c) an attempt with no outcome (the worker died mid-call, or Stripe gave no answer) is re-sent
///     with the same parameters and idempotency key, so Stripe replays the first result;
/// (d) a paid invoice is never charged again: every run starts by reading the invoice, and the
///     success and "invoice paid" commit together with the job's completion.</summary>
public sealed partial class InvoiceCollectionHandler(
    CollectionLedger ledger,
    StripeClient stripe,
    CollectionOptions options,
    TimeProvider clock,
    ILogger<InvoiceCollectionHandler> logger,
    BillingMetrics? metrics = null) : IJobHandler
{
    public const string Actor = "system:collection";

    public string JobType => InvoiceCollectionJob.JobType;

    /// <summary>For unexpected errors (database, conflicts). Stripe's own retryable outcomes are
    /// rescheduled by the handler per <see cref="CollectionOptions"/> and do not count here.</summary>
    public JobPolicy Policy { get; } = new(10, TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));

    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        var job = context.Job.Payload<InvoiceCollectionJob>();
        var loaded = await ledger.LoadAsync(job.TenantId, job.InvoiceId, ct);
        if (NothingToCollect(loaded) is { } why)
        {
            LogSkipped(logger, job.InvoiceId, why);
            await context.CompleteWithAsync(ledger.Store.BeginUnitOfWork(context.Metadata), ct);
            return;
        }

        var now = clock.GetUtcNow();
        if (loaded.Payment.LastRetryableAt is { } last && last + options.RetryDelay > now)
        {
            // A run after a crash between recording a retryable outcome and rescheduling.
            await context.RescheduleAsync(last + options.RetryDelay, "retry delay not over", ct);
            return;
        }

        var attempt = loaded.Payment.Open ? loaded.Payment.Current! : await StartAttemptAsync(context, loaded, now, ct);
        if (attempt is null)
        {
            return;
        }

        if (await RecheckAsync(context, job, attempt, resend: loaded.Payment.Open, ct) is { } current)
        {
            await context.ExtendLeaseAsync(ct);
            await ChargeAsync(context, current, attempt, ct);
        }
    }

    /// <summary>(b) Re-reads the invoice right before charging, after the attempt is on record:
    /// it must still be open with exactly the attempt's amount due. Null when this run is over.</summary>
    private async Task<InvoicePayment?> RecheckAsync(JobContext context, InvoiceCollectionJob job, PaymentAttempted attempt, bool resend, CancellationToken ct)
    {
        var current = await ledger.LoadAsync(job.TenantId, job.InvoiceId, ct);
        if (NothingToCollect(current) is { } changed)
        {
            LogSkipped(logger, job.InvoiceId, changed);
            await context.CompleteWithAsync(ledger.Store.BeginUnitOfWork(context.Metadata), ct);
            return null;
        }

        if (current.Invoice!.AmountDueMinor == attempt.AmountMinor)
        {
            return current;
        }

        // Re-sending needs the recorded amount (same key, same parameters); charging the new
        // amount needs a new attempt while this one's outcome may be unknown. Neither is safe:
        // stop and let an operator reconcile with Stripe.
        var sent = resend ? $"attempt {attempt.Attempt} for {attempt.AmountMinor} may have reached Stripe: reconcile before collecting" : $"attempt {attempt.Attempt} was not sent";
        await StopAsync(context, current, attempt.Attempt, "invoice_changed", $"{current.Invoice.AmountDueMinor} is now due; {sent}", ct);
        return null;
    }

    private static string? NothingToCollect(InvoicePayment loaded) => loaded switch
    {
        { Invoice: null } => throw new InvalidOperationException($"Invoice {loaded.InvoiceId} of {loaded.TenantId} does not exist."),
        { Payment.Succeeded: not null } => "already paid by collection",
        { Payment.Stopped: not null } => "collection was stopped: " + loaded.Payment.Stopped.Code,
        { Invoice.Status: not (InvoiceStatuses.Open or InvoiceStatuses.Uncollectible) } => "invoice is " + loaded.Invoice.Status,
        { Invoice.AmountDueMinor: 0 } => "nothing due",
        _ => null,
    };

    /// <summary>(a) Records the next attempt at the payment stream's exact version. Null when the
    /// tenant cannot be charged (collection stopped) or another runner recorded an attempt first.</summary>
    private async Task<PaymentAttempted?> StartAttemptAsync(JobContext context, InvoicePayment loaded, DateTimeOffset now, CancellationToken ct)
    {
        var tenant = await ledger.LoadTenantAsync(loaded.TenantId, ct);
        if (tenant?.Profile is not { StripeCustomerId: { Length: > 0 } customer, DefaultPaymentMethod: { Length: > 0 } method })
        {
            await StopAsync(context, loaded, loaded.Payment.Attempt, "no_payment_method", "the tenant has no Stripe customer or default payment method", ct);
            return null;
        }

        var number = loaded.Payment.Attempt + 1;
        var attempt = new PaymentAttempted(loaded.InvoiceId, number, loaded.Invoice!.AmountDueMinor, loaded.Invoice.Draft.Currency, customer, method,
            IdempotencyKeys.Charge(loaded.InvoiceId, number), now);
        try
        {
            await ledger.Store.AppendAsync(loaded.TenantId, PaymentStreams.IdOf(loaded.InvoiceId), PaymentStreams.Type,
                ExpectedVersion.Exact(loaded.Payment.Version), [NewEvent.For(attempt)], context.Metadata, ct);
        }
        catch (WrongExpectedVersionException)
        {
            LogLostRace(logger, loaded.InvoiceId, number);
            await context.CompleteWithAsync(ledger.Store.BeginUnitOfWork(context.Metadata), ct);
            return null;
        }

        return attempt;
    }

    private async Task StopAsync(JobContext context, InvoicePayment loaded, int attempts, string code, string reason, CancellationToken ct)
    {
        LogStopped(logger, loaded.InvoiceId, code, reason);
        var uow = ledger.Store.BeginUnitOfWork(context.Metadata);
        uow.Append(loaded.TenantId, PaymentStreams.IdOf(loaded.InvoiceId), PaymentStreams.Type, ExpectedVersion.Exact(loaded.Payment.Version),
            NewEvent.For(new PaymentCollectionStopped(loaded.InvoiceId, attempts, code, reason, clock.GetUtcNow())));
        await context.CompleteWithAsync(uow, ct);
    }

    private static IReadOnlyDictionary<string, string> MetadataOf(string tenantId, PaymentAttempted attempt) => new Dictionary<string, string>
    {
        ["tenant_id"] = tenantId,
        ["invoice_id"] = attempt.InvoiceId,
        ["attempt"] = attempt.Attempt.ToString(CultureInfo.InvariantCulture),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Collection of {InvoiceId} skipped: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string invoiceId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collection of {InvoiceId}: another runner recorded attempt {Attempt} first; this run charges nothing")]
    private static partial void LogLostRace(ILogger logger, string invoiceId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collection of {InvoiceId} stopped ({Code}): {Reason}")]
    private static partial void LogStopped(ILogger logger, string invoiceId, string code, string reason);
}
