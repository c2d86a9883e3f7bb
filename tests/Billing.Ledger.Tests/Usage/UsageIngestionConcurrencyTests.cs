using Billing.Ledger.Pricing;
using Billing.Ledger.Usage;
using Billing.Testing;
using static Billing.Ledger.Tests.Usage.LedgerWorld;

namespace Billing.Ledger.Tests.Usage;

public sealed class UsageIngestionConcurrencyTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly LedgerWorld _world = new(db, DateTimeOffset.Parse("2026-03-20T12:00:00Z"));

    /// <summary>Found by the ingest benchmark: batches listing the same tenants in different
    /// orders used to lock those tenants' usage streams in different orders and deadlock (40P01).
    /// The streams are sharded at random, so each round collides only sometimes; many rounds of
    /// opposite orders make a regression show up.</summary>
    [Fact]
    public async Task concurrent_batches_naming_the_same_tenants_in_opposite_orders_all_commit()
    {
        var tenants = new[] { await _world.TenantAsync(), await _world.TenantAsync(), await _world.TenantAsync() };
        const int workers = 8, rounds = 15;
        var runs = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var order = w % 2 == 0 ? tenants : [.. tenants.Reverse()];
            for (var r = 0; r < rounds; r++)
            {
                var batch = order.Select(t => Event(t, $"w{w}-r{r}", 1, "2026-03-20T10:00:00Z")).ToArray();
                var results = await _world.IngestAsync(batch);
                Assert.All(results, result => Assert.Equal(UsageStatus.Accepted, result.Status));
            }
        }));
        await Task.WhenAll(runs);

        foreach (var tenant in tenants)
        {
            Assert.Equal(workers * rounds, await _world.UsageEventCountAsync(tenant));
            Assert.Equal(workers * rounds, await _world.DailyAsync(tenant, DefaultPlans.ApiCalls, "2026-03-20"));
        }
    }
}
