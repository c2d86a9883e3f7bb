using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Pricing;

namespace Billing.Ledger.Invoicing;

/// <summary>Payload of the <c>invoice.close-period</c> job: close this tenant's period.</summary>
public sealed record ClosePeriodJob(string TenantId, string Period)
{
    public const string JobType = "invoice.close-period";

    /// <summary>One close job per tenant and period: scheduling it again is a no-op.</summary>
    public static JobRequest Request(string tenantId, BillingPeriod period, DateTimeOffset runAt) =>
        JobRequest.For(JobType, new ClosePeriodJob(tenantId, period.ToString()), tenantId, runAt, $"{JobType}:{tenantId}:{period}");

    /// <summary>Schedules the close of the period containing <paramref name="at"/> in the tenant's
    /// zone, due when that period's grace period ends.</summary>
    public static UnitOfWork ScheduleFor(UnitOfWork uow, string tenantId, TimeZoneInfo zone, DateTimeOffset at, InvoicingOptions options)
    {
        var period = BillingPeriod.Containing(at, zone);
        return uow.Enqueue(Request(tenantId, period, period.EndUtc(zone) + options.GracePeriod));
    }
}

/// <summary>Runs a scheduled period close. Closing is idempotent (a final invoice is
/// <see cref="CloseOutcome.Unchanged"/>), so a retried run is harmless. Once the period is final
/// the next period's close is scheduled in the completing transaction; a close that could only
/// draft (clock behind the grace period's end) is rescheduled for when it can finalize.</summary>
public sealed class ClosePeriodHandler(EventStore.EventStore store, InvoicePeriodClose close, TimeProvider clock) : IJobHandler
{
    public string JobType => ClosePeriodJob.JobType;

    public JobPolicy Policy => JobPolicy.Default;

    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        var job = context.Job.Payload<ClosePeriodJob>();
        var period = BillingPeriod.Parse(job.Period);
        var zone = await close.ZoneOfAsync(job.TenantId, ct);
        var due = period.EndUtc(zone) + close.Options.GracePeriod;
        if (clock.GetUtcNow() < due)
        {
            await context.RescheduleAsync(due, "grace period not over", ct);
            return;
        }

        var result = await close.CloseAsync(job.TenantId, period, "system:" + JobType, ct);
        var uow = store.BeginUnitOfWork(context.Metadata);
        if (result.Status != InvoiceStatuses.Draft)
        {
            uow.Enqueue(ClosePeriodJob.Request(job.TenantId, period.Next, period.Next.EndUtc(zone) + close.Options.GracePeriod));
        }

        await context.CompleteWithAsync(uow, ct);
    }
}
