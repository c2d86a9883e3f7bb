using Billing.Ledger.EventStore;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;
using Billing.Ledger.Time;
using Billing.Ledger.Usage;
using Billing.Testing;
using Npgsql;

namespace Billing.Ledger.Tests.Usage;

/// <summary>The pieces tests of tenants, usage and invoicing share over one database: a store with
/// the inline projections, the default catalogue and an adjustable clock.</summary>
public sealed class LedgerWorld
{
    public LedgerWorld(DatabaseFixture db, DateTimeOffset now, IEnumerable<IInlineProjection>? inline = null)
    {
        Clock = new AdjustableClock(now);
        Store = db.CreateStore(Clock, inline ?? [new TenantProjection()]);
        Tenants = new TenantDirectory(Store, Catalogue, Clock);
        Usage = new UsageIngestion(Store, Catalogue, Clock, new UsageOptions());
    }

    public AdjustableClock Clock { get; }

    public Billing.Ledger.EventStore.EventStore Store { get; }

    public PlanCatalogue Catalogue { get; } = PlanCatalogueLoader.Create(DefaultPlans.All);

    public TenantDirectory Tenants { get; }

    public UsageIngestion Usage { get; }

    public static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    public async Task<string> TenantAsync(string zone = "America/New_York", string plan = "starter")
    {
        var id = NewId("t");
        await Tenants.CreateAsync(id, new TenantProfile("Test " + id, plan, "USD", "ap@example.test", zone, null, null), EventMetadata.Empty, CancellationToken.None);
        return id;
    }

    public Task<IReadOnlyList<UsageResult>> IngestAsync(params UsageInput[] batch) => Usage.IngestAsync(batch, EventMetadata.Empty, CancellationToken.None);

    public static UsageInput Event(string tenant, string id, decimal quantity, string at, string metric = DefaultPlans.ApiCalls) =>
        new(id, tenant, metric, quantity, DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture), null);

    public async Task<decimal> DailyAsync(string tenant, string metric, string day)
    {
        await using var command = Store.DataSource.CreateCommand("SELECT coalesce(sum(quantity), 0) FROM rm.usage_daily WHERE tenant_id = $1 AND metric = $2 AND day = $3");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = metric });
        command.Parameters.Add(new NpgsqlParameter { Value = DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture) });
        return (decimal)(await command.ExecuteScalarAsync())!;
    }

    public async Task<long> UsageEventCountAsync(string tenant)
    {
        await using var command = Store.DataSource.CreateCommand("SELECT count(*) FROM ledger.events WHERE tenant_id = $1 AND type = 'usage.recorded.v1'");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
