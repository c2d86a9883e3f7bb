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

/// <summary>Shared set-up for period-close scenarios over PostgreSQL with hand-computed totals
/// (starter: 2,900 base, 10,000 api_calls included, then 0.2 each). Tenants are in New York
/// (UTC-5 in March, UTC-4 from 8 March), so March runs 2026-03-01T05:00Z to 2026-04-01T04:00Z.</summary>
public abstract class InvoicingScenario(DatabaseFixture db)
{
    protected static readonly BillingPeriod March = BillingPeriod.Parse("2026-03");
    protected readonly LedgerWorld _world = new(db, DateTimeOffset.Parse("2026-02-20T00:00:00Z"), [new TenantProjection(), new InvoiceProjection()]);

    protected InvoicePeriodClose Close => new(_world.Store, _world.Catalogue, _world.Clock, InvoicingOptions.Default);

    protected InvoiceActions Actions => new(_world.Store, _world.Clock);

    protected Task<CloseResult> CloseAsync(string tenant, BillingPeriod period) => Close.CloseAsync(tenant, period, "system:test", CancellationToken.None);

    protected async Task<CloseResult> FinalizeAsync(string tenant, BillingPeriod period)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var due = period.EndUtc(zone) + InvoicingOptions.Default.GracePeriod;
        if (_world.Clock.GetUtcNow() < due)
        {
            _world.Clock.SetTo(due);
        }

        return await CloseAsync(tenant, period);
    }

    protected async Task<string> DumpAsync()
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

    protected async Task<List<long>> LinesAsync(string invoiceId, string kind)
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

    protected async Task<T> ScalarAsync<T>(string sql, string arg)
    {
        await using var command = _world.Store.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = arg });
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
