using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Stripe;
using Billing.Ledger.Stripe.Webhooks;
using Microsoft.Extensions.Logging;

namespace Billing.Ledger.Collection;

public sealed partial class InvoiceCollectionHandler
{
    private async Task ChargeAsync(JobContext context, InvoicePayment loaded, PaymentAttempted attempt, CancellationToken ct)
    {
        var charge = new OffSessionCharge(attempt.AmountMinor, attempt.Currency, attempt.StripeCustomerId, attempt.PaymentMethod,
            "Invoice " + (loaded.Invoice!.Number ?? attempt.InvoiceId), MetadataOf(loaded.TenantId, attempt));
        ChargeOutcome outcome;
        try
        {
            outcome = await stripe.ChargeOffSessionAsync(charge, attempt.IdempotencyKey, ct);
        }
        catch (Exception ex) when (IsUnknownOutcome(ex))
        {
            metrics?.PaymentAttempted("error");
            LogInterrupted(logger, attempt.InvoiceId, attempt.Attempt, ex.Message);
            await RetryOrStopAsync(context, loaded, new PaymentInterrupted(attempt.InvoiceId, attempt.Attempt, ex.Message, clock.GetUtcNow()), ct);
            return;
        }
        catch (StripeApiException ex) when (ex.StatusCode is not (401 or 403))
        {
            // A definitive 4xx (bad request, unknown customer or payment method): nothing was
            // charged and sending it again cannot succeed. 401/403 are our configuration, not
            // the customer's card: they fail the job (retried, then a dead letter) instead.
            metrics?.PaymentAttempted("failed");
            var failed = new PaymentFailed(attempt.InvoiceId, attempt.Attempt, ex.Code ?? "stripe_error", null, ex.Message, false, null, clock.GetUtcNow());
            await FailAndStopAsync(context, loaded, failed, "stripe rejected the request", ct);
            return;
        }

        switch (outcome)
        {
            case ChargeOutcome.Succeeded s:
                await SucceededAsync(context, loaded, attempt, s.PaymentIntent, ct);
                break;
            case ChargeOutcome.Declined { Decline: var d }:
                metrics?.PaymentAttempted(d.Code == "authentication_required" ? "requires_action" : "failed");
                var failed = new PaymentFailed(attempt.InvoiceId, attempt.Attempt, d.Code, d.DeclineCode, d.Message, d.Retryable, d.PaymentIntentId, clock.GetUtcNow());
                await (d.Retryable ? RetryOrStopAsync(context, loaded, failed, ct) : FailAndStopAsync(context, loaded, failed, "non-retryable decline", ct));
                break;
        }
    }

    /// <summary>Stripe did not answer definitively: the charge may or may not have happened.</summary>
    private static bool IsUnknownOutcome(Exception ex) =>
        ex is StripeUnavailableException or TimeoutException or HttpRequestException
        || (ex is StripeApiException api && (api.StatusCode >= 500 || api.StatusCode is 409 or 429));

    private async Task SucceededAsync(JobContext context, InvoicePayment loaded, PaymentAttempted attempt, StripePaymentIntent intent, CancellationToken ct)
    {
        metrics?.PaymentAttempted("succeeded");
        var now = clock.GetUtcNow();
        var succeeded = new PaymentSucceeded(attempt.InvoiceId, attempt.Attempt, intent.Amount, attempt.Currency, intent.Id, intent.LatestCharge, "collection", now);
        var uow = ledger.Store.BeginUnitOfWork(context.Metadata);
        CollectionLedger.RecordPaid(uow, loaded, succeeded, Actor);
        // Links let later webhooks without metadata (disputes) find the tenant.
        uow.LinkStripeObject(intent.Id, loaded.TenantId, "payment_intent", now);
        if (intent.LatestCharge is { } chargeId)
        {
            uow.LinkStripeObject(chargeId, loaded.TenantId, "charge", now);
        }

        await context.CompleteWithAsync(uow, ct);
        metrics?.InvoiceRecorded("paid", attempt.Currency);
        LogPaid(logger, attempt.InvoiceId, attempt.Attempt, intent.Id);
    }

    private async Task RetryOrStopAsync(JobContext context, InvoicePayment loaded, object outcome, CancellationToken ct)
    {
        var retries = loaded.Payment.Retries + 1;
        if (retries > options.RetryLimit)
        {
            await AppendAndStopAsync(context, loaded, outcome, "retries_exhausted", $"{options.RetryLimit} retries used", ct);
            return;
        }

        var now = clock.GetUtcNow();
        await ledger.Store.AppendAsync(loaded.TenantId, PaymentStreams.IdOf(loaded.InvoiceId), PaymentStreams.Type,
            ExpectedVersion.Exact(loaded.Payment.Version), [NewEvent.For(outcome)], context.Metadata, ct);
        LogRetry(logger, loaded.InvoiceId, retries, options.RetryLimit, now + options.RetryDelay);
        await context.RescheduleAsync(now + options.RetryDelay, $"retry {retries} of {options.RetryLimit}", ct);
    }

    private Task FailAndStopAsync(JobContext context, InvoicePayment loaded, PaymentFailed failed, string reason, CancellationToken ct) =>
        AppendAndStopAsync(context, loaded, failed, failed.DeclineCode ?? failed.Code, reason + ": " + failed.Message, ct);

    private async Task AppendAndStopAsync(JobContext context, InvoicePayment loaded, object outcome, string code, string reason, CancellationToken ct)
    {
        LogStopped(logger, loaded.InvoiceId, code, reason);
        var attempts = outcome is PaymentFailed f ? f.Attempt : ((PaymentInterrupted)outcome).Attempt;
        var stopped = new PaymentCollectionStopped(loaded.InvoiceId, attempts, code, reason, clock.GetUtcNow());
        var uow = ledger.Store.BeginUnitOfWork(context.Metadata);
        uow.Append(loaded.TenantId, PaymentStreams.IdOf(loaded.InvoiceId), PaymentStreams.Type, ExpectedVersion.Exact(loaded.Payment.Version),
            NewEvent.For(outcome), NewEvent.For(stopped));
        await context.CompleteWithAsync(uow, ct);

        // The runbooks' "failed invoices in 1 h" alert counts invoices whose collection stopped.
        metrics?.InvoiceRecorded("failed", loaded.Invoice?.Draft.Currency ?? "unknown");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Collection of {InvoiceId} paid on attempt {Attempt} by {PaymentIntentId}")]
    private static partial void LogPaid(ILogger logger, string invoiceId, int attempt, string paymentIntentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collection of {InvoiceId} attempt {Attempt} got no definitive answer from Stripe; it stays open: {Error}")]
    private static partial void LogInterrupted(ILogger logger, string invoiceId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Collection of {InvoiceId}: retry {Retry} of {RetryLimit} at {RetryAt}")]
    private static partial void LogRetry(ILogger logger, string invoiceId, int retry, int retryLimit, DateTimeOffset retryAt);
}
