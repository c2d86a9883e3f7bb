using Billing.Ledger.EventStore;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;
using Billing.Ledger.Tests.Usage;
using Billing.Ledger.Usage;
using Billing.Testing;
using Npgsql;
using static Billing.Ledger.Tests.Usage.LedgerWorld;

namespace Billing.Ledger.Tests.Invoicing;

/// <summary>Finalization: gap-free numbers, atomicity with the outbox, exact rebuilds.</summary>
public sealed class FinalizationTests(DatabaseFixture db) : InvoicingScenario(db), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task concurrent_finalizations_get_gap_free_distinct_numbers()
    {
        var tenants = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            tenants.Add(await _world.TenantAsync());
        }

        _world.Clock.SetTo(DateTimeOffset.Parse("2026-04-03T00:00:00Z"));
        var results = await Task.WhenAll(tenants.Select(t => Task.Run(() => CloseAsync(t, March))));

        var numbers = results.Select(r => int.Parse(r.Number![^6..], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        Assert.Equal(Enumerable.Range(numbers[0], 8), numbers);
    }

    [Fact]
    public async Task rebuilding_the_invoice_read_models_from_events_reproduces_them_exactly()
    {
        var t = await _world.TenantAsync();
        await Actions.RecordAdjustmentAsync(t, AdjustmentKinds.Credit, 4_000, "migration credit", "key:ops", CancellationToken.None);
        _world.Clock.SetTo(DateTimeOffset.Parse("2026-03-31T12:00:00Z"));
        await _world.IngestAsync(Event(t, "a", 30_000, "2026-03-15T12:00:00Z"));
        var march = await FinalizeAsync(t, March);
        await Actions.DecideAsync(march.InvoiceId, now => new MarkInvoicePaid(march.TotalMinor, "pi_1", now, "stripe", "charge succeeded"), "stripe", CancellationToken.None);
        await Actions.DecideAsync(march.InvoiceId, now => new RefundInvoice("re_1", 100, now, "key:ops", "goodwill"), "key:ops", CancellationToken.None);
        await Actions.DecideAsync(march.InvoiceId, now => new IssueCreditNote("cn_1", 50, now, "key:ops", "sla"), "key:ops", CancellationToken.None);
        _world.Clock.SetTo(DateTimeOffset.Parse("2026-05-01T06:00:00Z"));
        Assert.Equal(CloseOutcome.Drafted, (await CloseAsync(t, March.Next)).Outcome);
        var before = await DumpAsync();

        await InvoiceReadModels.RebuildAsync(_world.Store, CancellationToken.None);

        Assert.Equal(before, await DumpAsync());
        Assert.Contains("partially_refunded", before, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_failing_finalization_commits_nothing_and_leaves_no_gap_in_the_numbers()
    {
        var t1 = await _world.TenantAsync();
        var t2 = await _world.TenantAsync();
        _world.Clock.SetTo(DateTimeOffset.Parse("2026-04-03T00:00:00Z"));
        var failing = new InvoicePeriodClose(_world.Store, _world.Catalogue, _world.Clock, InvoicingOptions.Default, new FailingOutbox());
        var before = await CloseAsync(t1, March);

        await Assert.ThrowsAsync<PostgresException>(() => failing.CloseAsync(t2, March, "system:test", CancellationToken.None));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM rm.invoices WHERE tenant_id = $1", t2));
        var after = await CloseAsync(t2, March);

        Assert.Equal(int.Parse(before.Number![^6..], System.Globalization.CultureInfo.InvariantCulture) + 1, int.Parse(after.Number![^6..], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task the_collection_outbox_is_called_once_in_the_finalizing_unit_of_work()
    {
        var t = await _world.TenantAsync();
        _world.Clock.SetTo(DateTimeOffset.Parse("2026-04-01T06:00:00Z"));
        var outbox = new RecordingOutbox();
        var close = new InvoicePeriodClose(_world.Store, _world.Catalogue, _world.Clock, InvoicingOptions.Default, outbox);
        await close.CloseAsync(t, March, "system:test", CancellationToken.None);
        Assert.Empty(outbox.Finalized);

        _world.Clock.SetTo(DateTimeOffset.Parse("2026-04-03T00:00:00Z"));
        var final = await close.CloseAsync(t, March, "system:test", CancellationToken.None);
        await close.CloseAsync(t, March, "system:test", CancellationToken.None);

        var invoice = Assert.Single(outbox.Finalized);
        Assert.Equal((final.Number, InvoiceStatuses.Open, 2_900L), (invoice.Number, invoice.Status, invoice.AmountDueMinor));
    }

    private sealed class FailingOutbox : IInvoiceFinalizationOutbox
    {
        public void Finalized(Billing.Ledger.EventStore.UnitOfWork unitOfWork, InvoiceState invoice, DateTimeOffset now) =>
            unitOfWork.AddCommand("SELECT 1 / 0");
    }

    private sealed class RecordingOutbox : IInvoiceFinalizationOutbox
    {
        public List<InvoiceState> Finalized { get; } = [];

        void IInvoiceFinalizationOutbox.Finalized(Billing.Ledger.EventStore.UnitOfWork unitOfWork, InvoiceState invoice, DateTimeOffset now) => Finalized.Add(invoice);
    }
}
