using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Webhooks;

public sealed partial class StripeWebhookProcessor
{
    private const string ProcessedAmongSql = "SELECT stripe_event_id FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = ANY ($1) AND processed_at IS NOT NULL";

    /// <summary>Processes several queued events and completes their jobs in one transaction.
    /// Each event is decided as in <see cref="ProcessAsync"/>; one whose reading or deciding
    /// throws is left out (the worker runs its job on its own, where it fails alone). When the
    /// shared transaction fails (an event processed concurrently, an append error) nothing of
    /// it is written and the error propagates: every job then runs on its own.</summary>
    public async Task ProcessBatchAsync(IReadOnlyList<JobContext> jobs, CancellationToken ct)
    {
        var works = jobs.Select(j => (Job: j, Work: j.Job.Payload<StripeWebhookWork>())).ToList();
        var done = await ProcessedAmongAsync([.. works.Select(w => w.Work.StripeEventId)], ct);
        var completions = new List<(JobContext Job, UnitOfWork Work)>(works.Count);
        var outcomes = new List<(StripeWebhookProcessed Processed, WebhookApplication Application)>(works.Count);
        foreach (var (job, work) in works)
        {
            if (done.Contains(work.StripeEventId))
            {
                LogSkipped(logger, work.StripeEventId);
                completions.Add((job, store.BeginUnitOfWork(job.Metadata)));
                continue;
            }

            try
            {
                var (uow, processed, application) = await PrepareAsync(work, job.Metadata, ct);
                completions.Add((job, uow));
                outcomes.Add((processed, application));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogLeftOut(logger, ex, work.StripeEventId);
            }
        }

        await JobContext.CompleteAllWithAsync(completions, ct);
        foreach (var (processed, application) in outcomes)
        {
            LogCompleted(logger, processed.StripeEventId, processed.Type, processed.Outcome, application.Detail);
        }
    }

    private async Task<HashSet<string>> ProcessedAmongAsync(string[] stripeEventIds, CancellationToken ct)
    {
        await using var command = store.DataSource.CreateCommand(ProcessedAmongSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = stripeEventIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        var processed = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            processed.Add(reader.GetString(0));
        }

        return processed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe webhook {StripeEventId} left out of its processing batch; its job runs on its own")]
    private static partial void LogLeftOut(ILogger logger, Exception exception, string stripeEventId);
}
