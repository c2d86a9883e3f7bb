using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Tenants;

namespace Billing.Ledger.Collection;

/// <summary>An invoice and its payment stream as loaded together, with their versions (the
/// expected versions of the appends that follow).</summary>
public sealed record InvoicePayment(string TenantId, string InvoiceId, InvoiceState? Invoice, long InvoiceVersion, PaymentState Payment, IReadOnlyList<RecordedEvent> InvoiceEvents);

/// <summary>Reads for collection, refunds and webhooks: always from the streams (the truth),
/// never from read models, because they decide whether money moves.</summary>
public sealed class CollectionLedger(EventStore.EventStore store)
{
    public EventStore.EventStore Store => store;

    public async Task<InvoicePayment> LoadAsync(string tenantId, string invoiceId, CancellationToken ct)
    {
        var invoiceEvents = await store.ReadStreamAsync(tenantId, InvoiceStreams.IdOf(invoiceId), ct: ct);
        var paymentEvents = await store.ReadStreamAsync(tenantId, PaymentStreams.IdOf(invoiceId), ct: ct);
        return Fold(tenantId, invoiceId, invoiceEvents, paymentEvents);
    }

    /// <summary><see cref="LoadAsync"/> for many invoices in one query (a webhook batch).</summary>
    public async Task<IReadOnlyList<InvoicePayment>> LoadManyAsync(IReadOnlyCollection<(string TenantId, string InvoiceId)> invoices, CancellationToken ct)
    {
        var wanted = invoices.Distinct().ToList();
        var streams = await store.ReadStreamsAsync(
            [.. wanted.SelectMany(i => new[] { (i.TenantId, InvoiceStreams.IdOf(i.InvoiceId)), (i.TenantId, PaymentStreams.IdOf(i.InvoiceId)) })], ct);
        return [.. wanted.Select(i => Fold(i.TenantId, i.InvoiceId, streams[(i.TenantId, InvoiceStreams.IdOf(i.InvoiceId))], streams[(i.TenantId, PaymentStreams.IdOf(i.InvoiceId))]))];
    }

    private static InvoicePayment Fold(string tenantId, string invoiceId, IReadOnlyList<RecordedEvent> invoiceEvents, IReadOnlyList<RecordedEvent> paymentEvents)
    {
        var invoice = InvoiceDecider.Fold(invoiceEvents.Select(e => e.Data));
        var payment = PaymentState.Fold(paymentEvents.Select(e => (e.Data, e.Version)));
        return new InvoicePayment(tenantId, invoiceId, invoice, invoiceEvents.Count == 0 ? 0 : invoiceEvents[^1].Version, payment, invoiceEvents);
    }

    public async Task<InvoiceState?> LoadInvoiceAsync(string tenantId, string invoiceId, CancellationToken ct) =>
        InvoiceDecider.Fold((await store.ReadStreamAsync(tenantId, InvoiceStreams.IdOf(invoiceId), ct: ct)).Select(e => e.Data));

    public async Task<TenantState?> LoadTenantAsync(string tenantId, CancellationToken ct) =>
        TenantDecider.Fold((await store.ReadStreamAsync(tenantId, TenantStreams.IdOf(tenantId), ct: ct)).Select(e => e.Data));

    /// <summary>Adds "invoice paid" (through the invoicing decider) and the payment's success to
    /// <paramref name="uow"/>, both at exact versions: a concurrent writer makes the commit fail.</summary>
    public static void RecordPaid(UnitOfWork uow, InvoicePayment loaded, PaymentSucceeded succeeded, string actor)
    {
        var paid = InvoiceDecider.Decide(
            new MarkInvoicePaid(succeeded.AmountMinor, succeeded.PaymentIntentId, succeeded.At, actor, "stripe payment " + succeeded.PaymentIntentId),
            loaded.Invoice);
        uow.Append(loaded.TenantId, InvoiceStreams.IdOf(loaded.InvoiceId), InvoiceStreams.Type, ExpectedVersion.Exact(loaded.InvoiceVersion), paid.Select(NewEvent.For));
        uow.Append(loaded.TenantId, PaymentStreams.IdOf(loaded.InvoiceId), PaymentStreams.Type, ExpectedVersion.Exact(loaded.Payment.Version), NewEvent.For(succeeded));
    }
}
