using Billing.Ledger.EventStore;
using Billing.Ledger.Tenants;
using Npgsql;

namespace Billing.Ledger.Invoicing;

/// <summary>Invoice state changes after drafting (payments, refunds, credit notes, void,
/// uncollectible) and manual adjustments. Each loads the stream, decides, and appends with the
/// expected version; a concurrent change makes the append fail instead of being overwritten.</summary>
public sealed class InvoiceActions(EventStore.EventStore store, TimeProvider clock)
{
    private const string TenantOfSql = "SELECT tenant_id FROM rm.invoices WHERE invoice_id = $1";

    public async Task<(InvoiceState State, long Version)?> LoadAsync(string invoiceId, CancellationToken ct)
    {
        await using var command = store.DataSource.CreateCommand(TenantOfSql);
        command.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
        if (await command.ExecuteScalarAsync(ct) is not string tenantId)
        {
            return null;
        }

        var events = await store.ReadStreamAsync(tenantId, InvoiceStreams.IdOf(invoiceId), ct: ct);
        return InvoiceDecider.Fold(events.Select(e => e.Data)) is { } state ? (state, events[^1].Version) : null;
    }

    public async Task<InvoiceState> DecideAsync(string invoiceId, Func<DateTimeOffset, InvoiceCommand> command, string actor, CancellationToken ct)
    {
        var loaded = await LoadAsync(invoiceId, ct) ?? throw new InvoiceRejected("invoice_not_found", $"Invoice '{invoiceId}' does not exist.");
        var events = InvoiceDecider.Decide(command(clock.GetUtcNow()), loaded.State);
        await store.AppendAsync(loaded.State.Draft.TenantId, InvoiceStreams.IdOf(invoiceId), InvoiceStreams.Type, ExpectedVersion.Exact(loaded.Version),
            events.Select(NewEvent.For), new EventMetadata(Actor: actor), ct);
        return events.Aggregate<object, InvoiceState?>(loaded.State, InvoiceDecider.Evolve)!;
    }

    /// <summary>A manual charge or credit for the tenant's next invoice.</summary>
    public async Task<AdjustmentRecorded> RecordAdjustmentAsync(string tenantId, string kind, long amountMinor, string reason, string actor, CancellationToken ct)
    {
        var tenant = TenantDecider.Fold((await store.ReadStreamAsync(tenantId, TenantStreams.IdOf(tenantId), ct: ct)).Select(e => e.Data))
            ?? throw new InvoiceRejected("tenant_not_found", $"Tenant '{tenantId}' does not exist.");
        if (kind is not (AdjustmentKinds.Charge or AdjustmentKinds.Credit) || amountMinor <= 0 || string.IsNullOrWhiteSpace(reason) || string.IsNullOrWhiteSpace(actor))
        {
            throw new InvoiceRejected("invalid_adjustment", "An adjustment is a charge or credit with a positive amount, a reason and an actor.");
        }

        if (CardNumberGuard.LooksLikeCardNumber(reason))
        {
            throw new InvoiceRejected("card_data_refused", "The reason looks like a card number; card data is never accepted or stored.");
        }

        var adjustment = new AdjustmentRecorded("adj_" + Guid.CreateVersion7().ToString("N")[..20], kind, amountMinor, tenant.Profile.Currency, reason, actor, clock.GetUtcNow());
        await store.AppendAsync(tenantId, AdjustmentStreams.IdOf(tenantId), AdjustmentStreams.Type, ExpectedVersion.Any, [NewEvent.For(adjustment)], new EventMetadata(Actor: actor), ct);
        return adjustment;
    }
}
