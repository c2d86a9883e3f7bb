using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Jobs;

namespace Billing.Ledger.Collection;

/// <summary>Payload of the <c>invoice.collect</c> job: which invoice of which tenant to charge.</summary>
public sealed record InvoiceCollectionJob(string TenantId, string InvoiceId)
{
    public const string JobType = "invoice.collect";

    /// <summary>One collection job per invoice: enqueuing again (a replayed finalization) is a no-op.</summary>
    public static string DedupeKey(string invoiceId) => JobType + ":" + invoiceId;

    public static JobRequest Request(string tenantId, string invoiceId, DateTimeOffset? runAt = null) =>
        JobRequest.For(JobType, new InvoiceCollectionJob(tenantId, invoiceId), tenantId, runAt, DedupeKey(invoiceId));
}

/// <summary>Enqueues the collection job inside the finalizing unit of work (the outbox), so a
/// finalized invoice always has its job and a rolled-back finalization never has one. An
/// invoice finalized with nothing due (fully covered by credit) is not collected.</summary>
public sealed class InvoiceCollectionOutbox : IInvoiceFinalizationOutbox
{
    public void Finalized(UnitOfWork unitOfWork, InvoiceState invoice, DateTimeOffset now)
    {
        if (invoice.AmountDueMinor > 0)
        {
            unitOfWork.Enqueue(InvoiceCollectionJob.Request(invoice.Draft.TenantId, invoice.Draft.InvoiceId));
        }
    }
}
