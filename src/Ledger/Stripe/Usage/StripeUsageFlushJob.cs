using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;

namespace Billing.Ledger.Stripe.Usage;

/// <summary>The payload of a queued usage flush: the mode is decided when it is enqueued (the
/// live gate is checked by the operator's command, not by whichever worker runs it).</summary>
public sealed record UsageFlushRequest(UsageExportMode Mode, DateTimeOffset Hour);

/// <summary><c>billing usage enqueue-hourly</c>: a durable flush job, one per UTC hour (dedupe
/// key), retried by the queue with backoff (3 attempts) when Stripe fails.</summary>
public sealed class StripeUsageFlushJob(StripeUsageExport export) : IJobHandler
{
    public const string Type = "stripe.usage.flush";

    public string JobType => Type;

    public JobPolicy Policy { get; } = new(MaxAttempts: 3, BaseDelay: TimeSpan.FromMinutes(1), MaxDelay: TimeSpan.FromMinutes(10));

    public static string DedupeKey(DateTimeOffset hour) => $"usage-flush:{hour.UtcDateTime:yyyyMMddHH}";

    /// <summary>Adds this hour's flush job to the unit of work; a second enqueue for the same hour is a no-op.</summary>
    public static UnitOfWork Enqueue(UnitOfWork uow, UsageExportMode mode, DateTimeOffset now)
    {
        var hour = new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour), TimeSpan.Zero);
        return uow.Enqueue(JobRequest.For(Type, new UsageFlushRequest(mode, hour), dedupeKey: DedupeKey(hour)));
    }

    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        var request = context.Job.Payload<UsageFlushRequest>();
        await export.FlushAsync(request.Mode, ct);
    }
}
