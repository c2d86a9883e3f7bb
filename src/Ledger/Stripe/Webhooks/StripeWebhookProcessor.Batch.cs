using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Webhooks;

public sealed partial class StripeWebhookProcessor
{
    private const string ProcessedAmongSql = "SELECT * FROM ledger.stripe_webhooks_processed_among($1)";

    /// <summary>Processes several queued events (one job each) and completes their jobs in one
    /// transaction (see <see cref="DecideBatchAsync"/>). An event left out keeps its job open:
    /// the worker runs it on its own, where it fails alone. When the shared transaction fails
    /// (an event processed concurrently, two events of the batch changing one stream, an append
    /// error) nothing of it is written and the error propagates: every job then runs on its own.</summary>
    public async Task ProcessBatchAsync(IReadOnlyList<JobContext> jobs, CancellationToken ct)
    {
        var decision = await DecideBatchAsync([.. jobs.Select(j => new BatchItem(j.Job.Payload<StripeWebhookWork>(), j.Metadata))], jobs[0].Metadata, ct);
        await JobContext.CompleteAllWithAsync([.. jobs.Where((_, i) => !decision.LeftOut.Contains(i))], decision.Work, ct);
        LogCompletions(decision);
    }

    /// <summary>Processes the events of a batch job (up to 16 events of one dispatch pass) in one transaction with the
    /// job's completion. Events left out, or all of them when that transaction fails, get jobs
    /// of their own in the completing transaction instead, so each retries and dead-letters
    /// alone and nothing is lost.</summary>
    public async Task ProcessRecordedBatchAsync(JobContext job, CancellationToken ct)
    {
        var items = Items(job);
        try
        {
            var decision = await DecideBatchAsync(items, job.Metadata, ct);
            EnqueueOwnJobs(decision.Work, decision.LeftOut.Select(i => items[i]));
            await job.CompleteWithAsync(decision.Work, ct);
            LogCompletions(decision);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or JobLeaseLostException))
        {
            LogBatchSplit(logger, ex, job.Job.Id, items.Count);
            var split = store.BeginUnitOfWork(job.Metadata);
            EnqueueOwnJobs(split, items);
            await job.CompleteWithAsync(split, ct);
        }
    }

    /// <summary>Several batch jobs (a backlog claimed at once) decided as one batch
    /// and completed in one transaction; events left out get jobs of their own in it. When that
    /// transaction fails nothing is written and the error propagates: the worker then runs each
    /// job on its own (<see cref="ProcessRecordedBatchAsync"/>).</summary>
    public async Task ProcessRecordedBatchesAsync(IReadOnlyList<JobContext> jobs, CancellationToken ct)
    {
        var items = jobs.SelectMany(Items).ToList();
        var decision = await DecideBatchAsync(items, jobs[0].Metadata, ct);
        EnqueueOwnJobs(decision.Work, decision.LeftOut.Select(i => items[i]));
        await JobContext.CompleteAllWithAsync(jobs, decision.Work, ct);
        LogCompletions(decision);
    }

    /// <summary>Hands events to per-event jobs (<see cref="StripeWebhookJobHandler"/>) in
    /// <paramref name="work"/>, each keeping its delivery's correlation id.</summary>
    private static void EnqueueOwnJobs(UnitOfWork work, IEnumerable<BatchItem> items)
    {
        foreach (var item in items)
        {
            work.Enqueue(StripeWebhookJobQueue.Request(item.Work, item.Metadata.CorrelationId));
        }
    }

    /// <summary>A batch job's events, each with its delivery's correlation id.</summary>
    private static List<BatchItem> Items(JobContext job) =>
        [.. job.Job.Payload<StripeWebhookBatchWork>().Events.Select(e =>
            new BatchItem(new StripeWebhookWork(e.StripeEventId, e.TenantId), job.Metadata with { CorrelationId = e.CorrelationId }))];

    /// <summary>Decides a batch set-wise: one query for which events were processed already
    /// (skipped), one for their received events, one per applier to read ahead what it needs
    /// (<see cref="IStripeWebhookApplier.PrefetchAsync"/>), then every effect, marker, mark and
    /// link in ONE unit of work, each event's appends under its own metadata. Each event is
    /// decided as in <see cref="ProcessAsync"/>; one whose reading or deciding throws is left out.</summary>
    private async Task<BatchDecision> DecideBatchAsync(IReadOnlyList<BatchItem> items, EventMetadata metadata, CancellationToken ct)
    {
        var done = await ProcessedAmongAsync([.. items.Select(i => i.Work.StripeEventId)], ct);
        foreach (var item in items.Where(i => done.Contains(i.Work.StripeEventId)))
        {
            LogSkipped(logger, item.Work.StripeEventId);
        }

        var pending = Enumerable.Range(0, items.Count).Where(i => !done.Contains(items[i].Work.StripeEventId)).ToList();
        var received = pending.Count == 0 ? [] : await ReadReceivedAsync([.. pending.Select(i => items[i].Work)], ct);
        var leftOut = new HashSet<int>();
        var lookups = new StripeWebhookLookups();
        var open = new List<(int Index, StripeWebhookContext Context)>(pending.Count);
        foreach (var i in pending)
        {
            if (received.TryGetValue(items[i].Work.StripeEventId, out var e))
            {
                open.Add((i, Context(items[i].Work, e, items[i].Metadata, lookups)));
            }
            else
            {
                LogLeftOut(logger, NotRecorded(items[i].Work), items[i].Work.StripeEventId);
                leftOut.Add(i);
            }
        }

        if (open.Count > 0)
        {
            foreach (var applier in _appliers)
            {
                await applier.PrefetchAsync([.. open.Select(o => o.Context)], ct);
            }
        }

        var work = store.BeginUnitOfWork(metadata);
        var decided = new List<(StripeWebhookContext Context, StripeWebhookProcessed Processed)>(open.Count);
        var details = new List<string>(open.Count);
        foreach (var (index, context) in open)
        {
            try
            {
                var own = store.BeginUnitOfWork(context.EventMetadata);
                var (processed, application) = await DecideAsync(context, own, ct);
                work.Include(own);
                decided.Add((context, processed));
                details.Add(application.Detail);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogLeftOut(logger, ex, context.StripeEventId);
                leftOut.Add(index);
            }
        }

        if (decided.Count > 0)
        {
            AddRecords(work, decided);
        }

        return new BatchDecision(work, leftOut, [.. decided.Select((d, i) => (d.Processed, details[i]))]);
    }

    private void LogCompletions(BatchDecision decision)
    {
        foreach (var (processed, detail) in decision.Completed)
        {
            LogCompleted(logger, processed.StripeEventId, processed.Type, processed.Outcome, detail);
        }
    }

    /// <summary>One event of a batch with the metadata its processing events carry.</summary>
    private sealed record BatchItem(StripeWebhookWork Work, EventMetadata Metadata);

    /// <summary>A decided batch: the unit of work to commit, the items left out (by index) and
    /// what each decided event's outcome was, for the completion log.</summary>
    private sealed record BatchDecision(UnitOfWork Work, HashSet<int> LeftOut, IReadOnlyList<(StripeWebhookProcessed Processed, string Detail)> Completed);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe webhook batch job {JobId} of {Count} events failed; each event gets a job of its own")]
    private static partial void LogBatchSplit(ILogger logger, Exception exception, long jobId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe webhook {StripeEventId} left out of its processing batch; its job runs on its own")]
    private static partial void LogLeftOut(ILogger logger, Exception exception, string stripeEventId);
}
