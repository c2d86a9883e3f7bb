using Billing.Ledger.EventStore;

namespace Billing.Ledger.Usage;

public sealed partial class UsageIngestion
{
    private static int _batches;

    /// <summary>Appends the claimed events, one shard stream per tenant, and the rollup
    /// increments summed per (tenant, metric, local day, shard). Batches take shards round-robin
    /// (per process), so up to <see cref="UsageStreams.Shards"/> concurrent batches of one hot
    /// tenant never meet on a stream row; random shards met often (8 batches over 8 shards: two
    /// share a shard in most rounds), and a batch then waited for the other's commit.</summary>
    private static void AppendFresh(UnitOfWork uow, List<Candidate> fresh)
    {
        var shard = (int)((uint)Interlocked.Increment(ref _batches) % UsageStreams.Shards);
        var byTenant = new SortedDictionary<string, List<NewEvent>>(StringComparer.Ordinal);
        var rollup = new Dictionary<(string Tenant, string Metric, DateOnly Day, int Shard), (decimal Quantity, long Events)>();
        foreach (var f in fresh)
        {
            var tenantId = f.Tenant.TenantId;
            if (!byTenant.TryGetValue(tenantId, out var events))
            {
                byTenant[tenantId] = events = [];
            }

            var day = f.LocalDay;
            var input = f.Input;
            events.Add(new NewEvent(f.EventId, new UsageRecorded(input.ClientEventId!, input.Metric!, input.Quantity!.Value, input.Timestamp!.Value.ToUniversalTime(), day, input.Properties, f.Hash)));
            var key = (tenantId, input.Metric!, day, shard);
            var sum = rollup.GetValueOrDefault(key);
            rollup[key] = (sum.Quantity + input.Quantity.Value, sum.Events + 1);
        }

        // Tenants in ordinal order: concurrent batches then lock their streams in one global order
        // (unordered, two multi-tenant batches deadlocked on ledger.streams).
        foreach (var (tenantId, events) in byTenant)
        {
            uow.Append(tenantId, UsageStreams.IdOf(tenantId, shard), UsageStreams.Type, ExpectedVersion.Any, events);
        }

        uow.AddCommand(UsageRollup.Upsert(rollup.Select(r => new RollupRow(r.Key.Tenant, r.Key.Metric, r.Key.Day, r.Key.Shard, r.Value.Quantity, r.Value.Events))));
    }
}
