using Billing.Ledger.Collection;
using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Stripe;
using Billing.Ledger.Tenants;

namespace Billing.Host.Tests.Collection;

/// <summary>Tenants with a real emulator customer, and invoices finalized the way period close
/// finalizes them (events and the collection job in one unit of work).</summary>
public sealed class Seeder(Billing.Ledger.EventStore.EventStore store, StripeClient stripe, TimeProvider clock)
{
    public async Task<TestTenant> TenantAsync(string paymentMethod)
    {
        var tenantId = "t-" + Guid.NewGuid().ToString("N")[..10];
        var customer = await stripe.CreateCustomerAsync(new CustomerCreate(tenantId + "@example.test", tenantId, new Dictionary<string, string> { ["tenant_id"] = tenantId }), IdempotencyKeys.Customer(tenantId));
        await store.AppendAsync(tenantId, TenantStreams.IdOf(tenantId), TenantStreams.Type, ExpectedVersion.NoStream,
            [NewEvent.For(new TenantCreated(tenantId, "Tenant " + tenantId, "starter", "EUR", tenantId + "@example.test", "UTC", customer.Id, paymentMethod, clock.GetUtcNow()))]);
        return new TestTenant(tenantId, customer.Id);
    }

    public async Task SetPaymentMethodAsync(TestTenant tenant, string paymentMethod)
    {
        var info = await store.GetStreamAsync(tenant.TenantId, TenantStreams.IdOf(tenant.TenantId));
        await store.AppendAsync(tenant.TenantId, TenantStreams.IdOf(tenant.TenantId), TenantStreams.Type, ExpectedVersion.Exact(info!.Version),
            [NewEvent.For(new TenantProfileUpdated(tenant.TenantId, "Tenant " + tenant.TenantId, "EUR", tenant.TenantId + "@example.test", "UTC", tenant.CustomerId, paymentMethod, clock.GetUtcNow()))]);
    }

    /// <summary>Drafts and finalizes an invoice the way period close does: the finalization and
    /// the collection job (through <see cref="InvoiceCollectionOutbox"/>) commit together.</summary>
    public async Task<string> FinalizedInvoiceAsync(TestTenant tenant, long amountMinor)
    {
        var invoiceId = "in_" + Guid.NewGuid().ToString("N")[..20];
        var now = clock.GetUtcNow();
        var draft = new InvoiceDraft(invoiceId, tenant.TenantId, "2026-03", now.AddDays(-31), now.AddDays(-1), "EUR", "starter", "test",
            [new InvoiceLine(LineKinds.BaseFee, "Base fee", amountMinor)], amountMinor, [], [], now);
        var events = InvoiceDecider.Decide(new DraftInvoice(draft, now, "test", "period close"), null).ToList();
        var drafted = InvoiceDecider.Fold(events);
        var finalized = InvoiceDecider.Decide(new FinalizeInvoice("T-" + invoiceId[3..15], TimeSpan.FromDays(14), now, "test", "grace period over"), drafted);
        events.AddRange(finalized);
        var uow = store.BeginUnitOfWork(new EventMetadata(Actor: "test"));
        uow.Append(tenant.TenantId, InvoiceStreams.IdOf(invoiceId), InvoiceStreams.Type, ExpectedVersion.NoStream, events.Select(NewEvent.For));
        new InvoiceCollectionOutbox().Finalized(uow, InvoiceDecider.Fold(events)!, now);
        await uow.CommitAsync();
        return invoiceId;
    }

}
