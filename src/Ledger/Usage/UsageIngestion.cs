using Billing.Ledger.EventStore;
using Billing.Ledger.Pricing;
using Npgsql;

namespace Billing.Ledger.Usage;

/// <summary>Records a batch of usage events durably and answers per event. Duplicate detection
/// rests on <c>ledger.usage_dedupe</c>, written in the same transaction as the events and the
/// rollup (openmeter#5118: a dedupe claim that commits apart from the event loses retries).
/// Two requests racing on one id: the loser's transaction fails on the dedupe key, nothing of
/// it commits, and it re-classifies its batch against what the winner stored.</summary>
public sealed partial class UsageIngestion(EventStore.EventStore store, PlanCatalogue catalogue, TimeProvider clock, UsageOptions options)
{
    private const int MaxAttempts = 4;

    public UsageOptions Options => options;

    public async Task<IReadOnlyList<UsageResult>> IngestAsync(IReadOnlyList<UsageInput> batch, EventMetadata metadata, CancellationToken ct)
    {
        if (batch.Count > options.MaxBatchSize)
        {
            throw new ArgumentException($"A batch holds at most {options.MaxBatchSize} events.", nameof(batch));
        }

        var now = clock.GetUtcNow();
        var tenants = await LoadTenantsAsync(batch.Select(b => b.TenantId).OfType<string>().Distinct().ToArray(), ct);
        for (var attempt = 1; ; attempt++)
        {
            var plan = await ClassifyAsync(batch, tenants, now, ct);
            if (plan.New.Count == 0)
            {
                return plan.Results;
            }

            try
            {
                await CommitAsync(plan.New, metadata, ct);
                return plan.Results;
            }
            catch (Exception ex) when (IsLostRace(ex) && attempt < MaxAttempts)
            {
                // Another request stored some of these ids first (nothing of ours committed);
                // classify again against what it stored.
            }
        }
    }

    private async Task<IngestPlan> ClassifyAsync(IReadOnlyList<UsageInput> batch, IReadOnlyDictionary<string, UsageTenant> tenants, DateTimeOffset now, CancellationToken ct)
    {
        var results = new UsageResult[batch.Count];
        var candidates = new Dictionary<(string Tenant, string Id), (int Index, string Hash)>();
        for (var i = 0; i < batch.Count; i++)
        {
            var input = batch[i];
            var tenant = input.TenantId is null ? null : tenants.GetValueOrDefault(input.TenantId);
            if (UsageContract.Violation(input, tenant, catalogue, now, options.LookbackDays) is { } reason)
            {
                results[i] = new UsageResult(input.ClientEventId, input.TenantId, UsageStatus.Rejected, reason);
                continue;
            }

            var key = (input.TenantId!, input.ClientEventId!);
            var hash = input.PayloadHash();
            if (candidates.TryGetValue(key, out var first))
            {
                results[i] = Repeat(input, first.Hash == hash, "an earlier event of this batch");
                continue;
            }

            candidates[key] = (i, hash);
        }

        var stored = await LoadStoredHashesAsync(candidates.Keys, ct);
        var fresh = new List<PendingUsage>();
        foreach (var ((tenantId, id), (index, hash)) in candidates)
        {
            if (stored.TryGetValue((tenantId, id), out var storedHash))
            {
                results[index] = Repeat(batch[index], storedHash == hash, "the stored event");
                continue;
            }

            results[index] = new UsageResult(id, tenantId, UsageStatus.Accepted);
            fresh.Add(new PendingUsage(batch[index], tenants[tenantId], hash));
        }

        return new IngestPlan(results, fresh);
    }

    private static bool IsLostRace(Exception ex) =>
        ex is PartialDuplicateAppendException or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    private static UsageResult Repeat(UsageInput input, bool samePayload, string what) => samePayload
        ? new UsageResult(input.ClientEventId, input.TenantId, UsageStatus.Duplicate)
        : new UsageResult(input.ClientEventId, input.TenantId, UsageStatus.Conflict, $"same id as {what} with a different payload");

    private Task CommitAsync(IReadOnlyList<PendingUsage> fresh, EventMetadata metadata, CancellationToken ct)
    {
        var uow = store.BeginUnitOfWork(metadata);
        var rollup = new List<RollupRow>();
        // Tenants in ordinal order: concurrent batches then lock their streams in one global order
        // (unordered, two multi-tenant batches deadlocked on ledger.streams).
        foreach (var group in fresh.GroupBy(f => f.Tenant.TenantId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var shard = Random.Shared.Next(UsageStreams.Shards);
            var events = group.Select(f => new NewEvent(UsageInput.EventIdOf(group.Key, f.Input.ClientEventId!), f.ToEvent())).ToList();
            uow.Append(group.Key, UsageStreams.IdOf(group.Key, shard), UsageStreams.Type, ExpectedVersion.Any, events);
            rollup.AddRange(group.Select(f => new RollupRow(group.Key, f.Input.Metric!, f.LocalDay, shard, f.Input.Quantity!.Value, 1)));
        }

        uow.AddCommand(DedupeInsert(fresh));
        uow.AddCommand(UsageRollup.Upsert(rollup));
        return uow.CommitAsync(ct);
    }

    private sealed record IngestPlan(IReadOnlyList<UsageResult> Results, IReadOnlyList<PendingUsage> New);

    private sealed record PendingUsage(UsageInput Input, UsageTenant Tenant, string Hash)
    {
        public DateOnly LocalDay => BillingPeriod.LocalDate(Input.Timestamp!.Value, Tenant.Zone);

        public UsageRecorded ToEvent() =>
            new(Input.ClientEventId!, Input.Metric!, Input.Quantity!.Value, Input.Timestamp!.Value.ToUniversalTime(), LocalDay, Input.Properties, Hash);
    }
}
