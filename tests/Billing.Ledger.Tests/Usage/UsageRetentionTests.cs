using Billing.Ledger.Invoicing;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;
using Billing.Ledger.Usage;
using Billing.Testing;
using Npgsql;
using static Billing.Ledger.Tests.Usage.LedgerWorld;

namespace Billing.Ledger.Tests.Usage;

public sealed class UsageRetentionTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly LedgerWorld _world = new(db, DateTimeOffset.Parse("2026-03-10T00:00:00Z"), [new TenantProjection(), new InvoiceProjection()]);

    private async Task<long> CountAsync(string sql, string tenant)
    {
        await using var command = _world.Store.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task purge_is_a_dry_run_by_default_and_confirm_archives_only_final_periods_keeping_daily_sums()
    {
        var t = await _world.TenantAsync();
        await _world.IngestAsync(Event(t, "m1", 4_000, "2026-03-09T12:00:00Z"), Event(t, "m2", 8_000, "2026-03-09T13:00:00Z"));
        _world.Clock.SetTo(DateTimeOffset.Parse("2026-04-03T00:00:00Z"));
        var close = new InvoicePeriodClose(_world.Store, _world.Catalogue, _world.Clock, InvoicingOptions.Default);
        var march = await close.CloseAsync(t, BillingPeriod.Parse("2026-03"), "system:test", CancellationToken.None);
        await _world.IngestAsync(Event(t, "a1", 5, "2026-04-02T12:00:00Z"));
        _world.Clock.SetTo(DateTimeOffset.Parse("2026-06-01T00:00:00Z"));
        var retention = new UsageRetention(_world.Store.DataSource, _world.Clock);
        var dailyBefore = await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-09");

        var dryRun = await retention.PurgeAsync(30, confirm: false, CancellationToken.None);
        Assert.Equal([new PurgeGroup(t, "2026-03", 2, 12_000)], dryRun);
        Assert.Equal(3, await _world.UsageEventCountAsync(t));

        var done = await retention.PurgeAsync(30, confirm: true, CancellationToken.None);
        Assert.Equal(dryRun, done);
        Assert.Equal(1, await _world.UsageEventCountAsync(t));
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM ledger.usage_archive WHERE tenant_id = $1", t));
        Assert.Equal(12_000m, dailyBefore);

        // The rollup rebuilds from summaries plus remaining events, and the invoice still rebuilds exactly.
        await UsageRollup.RebuildAsync(_world.Store, CancellationToken.None);
        Assert.Equal(12_000m, await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-03-09"));
        Assert.Equal(5m, await _world.DailyAsync(t, DefaultPlans.ApiCalls, "2026-04-02"));
        await InvoiceReadModels.RebuildAsync(_world.Store, CancellationToken.None);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM rm.invoices WHERE tenant_id = $1 AND status = 'open'", t));
        Assert.Equal(march.TotalMinor, await CountAsync("SELECT total_minor FROM rm.invoices WHERE tenant_id = $1", t));
        Assert.Empty(await retention.PurgeAsync(30, confirm: true, CancellationToken.None));
    }
}
