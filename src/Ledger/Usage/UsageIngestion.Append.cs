using Billing.Ledger.EventStore;

namespace Billing.Ledger.Usage;

public sealed partial class UsageIngestion
{
    /// <summary>Appends the claimed events, one random shard stream per tenant, and the rollup
    /// increments summed per (tenant, metric, local day, shard).</summary>
    private static void AppendFresh(UnitOfWork uow, List<Candidate> fresh)
    {
        var byTenant = new SortedDictionary<string, List<NewEvent>>(StringComparer.Ordinal);
        var shards = new Dictionary<string, int>(StringComparer.Ordinal);
        var rollup = new Dictionary<(string Tenant, string Metric, DateOnly Day, int Shard), (decimal Quantity, long Events)>();
        foreach (var f in fresh)
        {
            var tenantId = f.Tenant.TenantId;
            if (!byTenant.TryGetValue(tenantId, out var events))
            {
                byTenant[tenantId] = events = [];
                shards[tenantId] = Random.Shared.Next(UsageStreams.Shards);
            }

            var day = f.LocalDay;
            var input = f.Input;
            events.Add(new NewEvent(f.EventId, new UsageRecorded(input.ClientEventId!, input.Metric!, input.Quantity!.Value, input.Timestamp!.Value.ToUniversalTime(), day, input.Properties, f.Hash)));
            var key = (tenantId, input.Metric!, day, shards[tenantId]);
            var sum = rollup.GetValueOrDefault(key);
            rollup[key] = (sum.Quantity + input.Quantity.Value, sum.Events + 1);
        }

        // Tenants in ordinal order: concurrent batches then lock their streams in one global order
        // (unordered, two multi-tenant batches deadlocked on ledger.streams).
        foreach (var (tenantId, events) in byTenant)
        {
            uow.Append(tenantId, UsageStreams.IdOf(tenantId, shards[tenantId]), UsageStreams.Type, ExpectedVersion.Any, events);
        }

        uow.AddCommand(UsageRollup.Upsert(rollup.Select(r => new RollupRow(r.Key.Tenant, r.Key.Metric, r.Key.Day, r.Key.Shard, r.Value.Quantity, r.Value.Events))));
    }
}
