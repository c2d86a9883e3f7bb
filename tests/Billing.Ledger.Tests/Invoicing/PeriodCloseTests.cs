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

/// <summary>End-to-end period closes over PostgreSQL with hand-computed totals (starter: 2,900
/// base, 10,000 api_calls included, then 0.2 each). Tenants are in New York (UTC-5 in March,
/// UTC-4 from 8 March), so March runs 2026-03-01T05:00Z to 2026-04-01T04:00Z.</summary>
public sealed class PeriodCloseTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private static readonly BillingPeriod March = BillingPeriod.Parse("2026-03");
    private readonly LedgerWorld _world = new(db, DateTimeOffset.Parse("2026-02-20T00:00:00Z"), [new TenantProjection(), new InvoiceProjection()]);

    private InvoicePeriodClose Close => new(_world.Store, _world.Catalogue, _world.Clock, InvoicingOptions.Default);

    private InvoiceActions Actions => new(_world.Store, _world.Clock);

    private Task<CloseResult> CloseAsync(string tenant, BillingPeriod period) => Close.CloseAsync(tenant, period, "system:test", CancellationToken.None);

    private async Task<CloseResult> FinalizeAsync(string tenant, BillingPeriod period)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var due = period.EndUtc(zone) + InvoicingOptions.Default.GracePeriod;
        if (_world.Clock.GetUtcNow() < due)
        {
            _world.Clock.SetTo(due);
        }

        return await CloseAsync(tenant, period);
    }

    [Fact]
    public async Task usage_at_2359_local_on_the_last_day_is_billed_and_at_0000_the_next_day_is_not()
    {
        var t = await _world.TenantAsync();
        _world.Clock.SetTo(DateTimeOffset.Parse("2026-03-01T06:00:00Z"));
        var early = await _world.IngestAsync(Event(t, "first-minute", 10_000, "2026-03-01T05:00:00Z"), Event(t, "last-feb-minute", 1, "2026-03-01T04:59:00Z"));
        _world.Clock.SetTo(DateTimeOffset.Parse("2026-04-01T05:00:00Z"));
        var results = await _world.IngestAsync(
            Event(t, "last-minute", 12_500, "2026-04-01T03:59:00Z"),
            Event(t, "next-period", 7_777, "2026-04-01T04:00:00Z"));
        var resent = await _world.IngestAsync(Event(t, "last-minute", 12_500, "2026-04-01T03:59:00Z"), Event(t, "next-period", 1, "2026-04-01T04:00:00Z"));
        Assert.All(early.Concat(results), r => Assert.Equal(UsageStatus.Accepted, r.Status));
        Assert.Equal([UsageStatus.Duplicate, UsageStatus.Conflict], resent.Select(r => r.Status));

        // Within the grace period the close only drafts.
        var draft = await CloseAsync(t, March);
        Assert.Equal((CloseOutcome.Drafted, InvoiceStatuses.Draft, (string?)null), (draft.Outcome, draft.Status, draft.Number));

        // 22,500 calls: 12,500 over x 0.2 = 2,500; + 2,900 base = 5,400.
        var final = await FinalizeAsync(t, March);
        Assert.Equal((CloseOutcome.Finalized, InvoiceStatuses.Open, 5_400L), (final.Outcome, final.Status, final.TotalMinor));
        Assert.Matches("^INV-2026-[0-9]{6}$", final.Number);
        Assert.Equal(5_400L, await ScalarAsync<long>("SELECT amount_due_minor FROM rm.invoices WHERE invoice_id = $1", final.InvoiceId));
        Assert.Equal(22_500m, await ScalarAsync<decimal>("SELECT quantity FROM rm.invoice_lines WHERE invoice_id = $1 AND metric = 'api_calls'", final.InvoiceId));
        Assert.Equal(CloseOutcome.Unchanged, (await CloseAsync(t, March)).Outcome);
    }

    [Fact]
    public async Task a_period_cannot_close_before_it_ends_in_the_tenants_zone()
    {
        var t = await _world.TenantAsync();
        _world.Clock.SetTo(DateTimeOffset.Parse("2026-04-01T03:59:00Z"));
        Assert.Equal("period_not_ended", (await Assert.ThrowsAsync<InvoiceRejected>(() => CloseAsync(t, March))).Code);
    }

    [Fact]
    public async Task a_mid_period_plan_change_prorates_the_base_fee_by_local_days()
    {
        var t = await _world.TenantAsync();
        _world.Clock.SetTo(DateTimeOffset.Parse("2026-03-11T15:00:00Z"));
        await _world.Tenants.UpdateAsync(t, new TenantProfile("Test " + t, "business", "USD", "ap@example.test", "America/New_York", null, null), null, EventMetadata.Empty, CancellationToken.None);
        _world.Clock.SetTo(DateTimeOffset.Parse("2026-03-20T13:00:00Z"));
        await _world.IngestAsync(Event(t, "calls", 150_000, "2026-03-20T12:00:00Z"));

        // starter 10 days: 935; business 21 days: 6,706; 50,000 over x 0.1 = 5,000.
        var final = await FinalizeAsync(t, March);
        Assert.Equal(12_641, final.TotalMinor);
        Assert.Equal([935L, 6_706L], await LinesAsync(final.InvoiceId, LineKinds.BaseFee));
    }

    [Fact]
    public async Task usage_arriving_after_finalization_lands_on_the_next_invoice_as_late_usage()
    {
        var t = await _world.TenantAsync();
        _world.Clock.SetTo(DateTimeOffset.Parse("2026-03-31T12:00:00Z"));
        await _world.IngestAsync(Event(t, "march", 10_000, "2026-03-31T12:00:00Z"));
        var march = await FinalizeAsync(t, March);
        Assert.Equal(2_900, march.TotalMinor);

        _world.Clock.SetTo(DateTimeOffset.Parse("2026-04-03T00:00:00Z"));
        Assert.Equal(UsageStatus.Accepted, Assert.Single(await _world.IngestAsync(Event(t, "straggler", 2_500, "2026-03-31T20:00:00Z"))).Status);
        var april = await FinalizeAsync(t, March.Next);

        // April: 2,900 base + late March 2,500 x 0.2 = 500.
        Assert.Equal(3_400, april.TotalMinor);
        Assert.Equal([500L], await LinesAsync(april.InvoiceId, LineKinds.LateUsage));
        Assert.Equal(2_900L, await ScalarAsync<long>("SELECT total_minor FROM rm.invoices WHERE invoice_id = $1", march.InvoiceId));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM rm.invoice_lines WHERE invoice_id = $1 AND kind = 'late_usage'", (await FinalizeAsync(t, March.Next.Next)).InvoiceId));
    }

    [Fact]
    public async Task a_credit_larger_than_the_invoice_carries_forward_as_tenant_balance()
    {
        var t = await _world.TenantAsync();
        await Actions.RecordAdjustmentAsync(t, AdjustmentKinds.Credit, 5_000, "outage compensation", "key:ops", CancellationToken.None);
        var march = await FinalizeAsync(t, March);
        Assert.Equal(0, march.TotalMinor);
        Assert.Equal(2_100L, await ScalarAsync<long>("SELECT credit_balance_minor FROM rm.tenant_balances WHERE tenant_id = $1", t));

        // April: 2,900 - 2,100 brought forward = 800; the credit is used up and the adjustment not reused.
        var april = await FinalizeAsync(t, March.Next);
        Assert.Equal(800, april.TotalMinor);
        Assert.Equal(0L, await ScalarAsync<long>("SELECT credit_balance_minor FROM rm.tenant_balances WHERE tenant_id = $1", t));
        Assert.Empty(await LinesAsync(april.InvoiceId, LineKinds.AdjustmentCredit));
    }

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

    private async Task<string> DumpAsync()
    {
        const string sql = """
            SELECT string_agg(x, E'\n' ORDER BY x) FROM (
              SELECT 'i ' || row(i.*)::text AS x FROM rm.invoices i
              UNION ALL SELECT 'l ' || row(l.*)::text FROM rm.invoice_lines l
              UNION ALL SELECT 'u ' || row(u.*)::text FROM rm.invoice_usage u
              UNION ALL SELECT 'b ' || row(b.*)::text FROM rm.tenant_balance_entries b) rows
            """;
        await using var command = _world.Store.DataSource.CreateCommand(sql);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task<List<long>> LinesAsync(string invoiceId, string kind)
    {
        await using var command = _world.Store.DataSource.CreateCommand("SELECT amount_minor FROM rm.invoice_lines WHERE invoice_id = $1 AND kind = $2 ORDER BY line_no");
        command.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
        command.Parameters.Add(new NpgsqlParameter { Value = kind });
        await using var reader = await command.ExecuteReaderAsync();
        var amounts = new List<long>();
        while (await reader.ReadAsync())
        {
            amounts.Add(reader.GetInt64(0));
        }

        return amounts;
    }

    private async Task<T> ScalarAsync<T>(string sql, string arg)
    {
        await using var command = _world.Store.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = arg });
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
