using Billing.Ledger.EventStore;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;
using Npgsql;

namespace Billing.Ledger.Invoicing;

/// <summary>Closes a tenant's billing period: drafts the invoice from the period's usage,
/// recomputes it while the grace period runs, then finalizes it with the next gap-free number.
/// Runs in one transaction holding a per-tenant advisory lock, so a tenant's closes serialize and
/// the number, the events, the read models and the collection job commit together.</summary>
public sealed partial class InvoicePeriodClose(
    EventStore.EventStore store,
    PlanCatalogue catalogue,
    TimeProvider clock,
    InvoicingOptions options,
    IInvoiceFinalizationOutbox? outbox = null)
{
    public InvoicingOptions Options => options;

    public async Task<CloseResult> CloseAsync(string tenantId, BillingPeriod period, string actor, CancellationToken ct)
    {
        var tenant = await LoadTenantAsync(tenantId, ct);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(tenant.Profile.TimeZone);
        var now = clock.GetUtcNow();
        if (now < period.EndUtc(zone))
        {
            throw new InvoiceRejected("period_not_ended", $"Period {period} of {tenantId} ends at {period.EndUtc(zone):O}.");
        }

        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecAsync(connection, tx, LockSql, ct, "invoice-close:" + tenantId);
        var invoiceId = InvoiceStreams.InvoiceIdOf(tenantId, period.ToString());
        var stored = await store.ReadStreamAsync(tenantId, InvoiceStreams.IdOf(invoiceId), ct: ct);
        var state = InvoiceDecider.Fold(stored.Select(e => e.Data));
        if (state is { IsFinal: true })
        {
            return Result(state, CloseOutcome.Unchanged);
        }

        if (await ScalarAsync<bool>(connection, tx, LaterInvoiceSql, ct, tenantId, period.ToString()))
        {
            throw new InvoiceRejected("later_period_invoiced", $"{tenantId} already has an invoice after {period}; periods close in order.");
        }

        var (events, evolved, finalize) = await DecideAsync(connection, tx, tenant, zone, period, state, now, actor, ct);
        UnitOfWork? uow = null;
        if (events.Count > 0)
        {
            uow = store.BeginUnitOfWork(new EventMetadata(CorrelationId: "close:" + invoiceId, Actor: actor));
            var expected = stored.Count == 0 ? ExpectedVersion.NoStream : ExpectedVersion.Exact(stored[^1].Version);
            uow.Append(tenantId, InvoiceStreams.IdOf(invoiceId), InvoiceStreams.Type, expected, events.Select(NewEvent.For));
            if (finalize)
            {
                outbox?.Finalized(uow, evolved, now);
            }

            await uow.CommitAsync(connection, tx, ct);
        }

        await tx.CommitAsync(ct);
        uow?.NotifyCommitted();
        var outcome = finalize ? CloseOutcome.Finalized : events.Count == 0 ? CloseOutcome.Unchanged : state is null ? CloseOutcome.Drafted : CloseOutcome.Recomputed;
        return Result(evolved, outcome);
    }

    /// <summary>The draft (or its recomputation) and, once the grace period is over, the
    /// finalization with the next number (taken inside the caller's transaction).</summary>
    private async Task<(List<object> Events, InvoiceState Evolved, bool Finalize)> DecideAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, TenantState tenant, TimeZoneInfo zone, BillingPeriod period, InvoiceState? state, DateTimeOffset now, string actor, CancellationToken ct)
    {
        var inputs = await GatherAsync(connection, tx, tenant, zone, period, now, ct);
        var draft = InvoiceCalculator.Draft(inputs, catalogue);
        var events = InvoiceDecider.Decide(new DraftInvoice(draft, now, actor, "period close"), state).ToList();
        var evolved = events.Aggregate(state, InvoiceDecider.Evolve)!;
        var finalize = now >= period.EndUtc(zone) + options.GracePeriod;
        if (finalize)
        {
            var number = await NextNumberAsync(connection, tx, now.Year, ct);
            var finalized = InvoiceDecider.Decide(new FinalizeInvoice(number, options.PaymentTerms, now, actor, "grace period over"), evolved);
            events.AddRange(finalized);
            evolved = finalized.Aggregate<object, InvoiceState?>(evolved, InvoiceDecider.Evolve)!;
        }

        return (events, evolved, finalize);
    }

    /// <summary>Closes <paramref name="period"/> (default: the last period that has ended in each
    /// tenant's zone) for one tenant or all. A tenant that fails is reported, not fatal.</summary>
    public async Task<IReadOnlyList<(string TenantId, CloseResult? Result, string? Error)>> CloseManyAsync(string? tenantId, BillingPeriod? period, string actor, CancellationToken ct)
    {
        var tenants = await TenantsAsync(tenantId, ct);
        var results = new (string, CloseResult?, string?)[tenants.Count];
        // Tenants close independently (per-tenant lock); only the number counter row is shared,
        // held by each finalization for its short commit. A few at a time keeps drafting busy.
        var options = new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct };
        await Parallel.ForEachAsync(Enumerable.Range(0, tenants.Count), options, async (i, token) =>
        {
            var (id, zoneId) = tenants[i];
            var target = period ?? BillingPeriod.Containing(clock.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById(zoneId)).Previous;
            results[i] = await CloseOneAsync(id, target, actor, token);
        });
        return results;
    }

    private async Task<(string, CloseResult?, string?)> CloseOneAsync(string tenantId, BillingPeriod period, string actor, CancellationToken ct)
    {
        try
        {
            return (tenantId, await CloseAsync(tenantId, period, actor, ct), null);
        }
        catch (InvoiceRejected ex)
        {
            return (tenantId, null, ex.Code + ": " + ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // One tenant's failure must not stop the others' invoices; it is reported to the
            // caller (the CLI exits non-zero) with its type and message.
            return (tenantId, null, ex.GetType().Name + ": " + ex.Message);
        }
    }

    /// <summary>The tenant's billing time zone.</summary>
    public async Task<TimeZoneInfo> ZoneOfAsync(string tenantId, CancellationToken ct) =>
        TimeZoneInfo.FindSystemTimeZoneById((await LoadTenantAsync(tenantId, ct)).Profile.TimeZone);

    private static CloseResult Result(InvoiceState s, CloseOutcome outcome) =>
        new(s.Draft.TenantId, s.Draft.Period, s.Draft.InvoiceId, outcome, s.Status, s.Number, s.Draft.TotalMinor, s.Draft.Currency);

    private async Task<TenantState> LoadTenantAsync(string tenantId, CancellationToken ct)
    {
        var events = await store.ReadStreamAsync(tenantId, TenantStreams.IdOf(tenantId), ct: ct);
        return TenantDecider.Fold(events.Select(e => e.Data)) ?? throw new InvoiceRejected("tenant_not_found", $"Tenant '{tenantId}' does not exist.");
    }
}
