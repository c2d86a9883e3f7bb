using Billing.Ledger.EventStore;
using Billing.Ledger.Pricing;

namespace Billing.Ledger.Usage;

/// <summary>Records a batch of usage events durably and answers per event. Duplicate detection
/// rests on <c>ledger.usage_dedupe</c>, written in the same transaction as the events and the
/// rollup (openmeter#5118: a dedupe claim that commits apart from the event loses retries).
/// The transaction first claims the batch's ids set-wise (<c>ON CONFLICT DO NOTHING</c>, in key
/// order); an id it could not claim is stored by a committed transaction, whose payload hash
/// tells duplicate from conflict. A request racing on the same id waits for the winner's commit
/// and then classifies against it: no retry, no silent skip.</summary>
public sealed partial class UsageIngestion(EventStore.EventStore store, PlanCatalogue catalogue, TimeProvider clock, UsageOptions options)
{
    public UsageOptions Options => options;

    public async Task<IReadOnlyList<UsageResult>> IngestAsync(IReadOnlyList<UsageInput> batch, EventMetadata metadata, CancellationToken ct)
    {
        if (batch.Count > options.MaxBatchSize)
        {
            throw new ArgumentException($"A batch holds at most {options.MaxBatchSize} events.", nameof(batch));
        }

        var now = clock.GetUtcNow();
        var tenants = await LoadTenantsAsync(TenantIdsOf(batch), ct);
        var results = new UsageResult[batch.Count];
        var candidates = Screen(batch, tenants, now, results);
        if (candidates.Count == 0)
        {
            return results;
        }

        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var raced = await ClaimAsync(connection, transaction, candidates, results, ct);
        await ClassifyRacedAsync(connection, transaction, raced, results, ct);
        var fresh = new List<Candidate>(candidates.Count);
        foreach (var candidate in candidates)
        {
            if (!candidate.Unclaimed)
            {
                results[candidate.Index] = new UsageResult(candidate.Input.ClientEventId, candidate.Tenant.TenantId, UsageStatus.Accepted);
                fresh.Add(candidate);
            }
        }

        var uow = store.BeginUnitOfWork(metadata);
        if (fresh.Count > 0)
        {
            AppendFresh(uow, fresh);
            await uow.CommitAsync(connection, transaction, ct);
        }

        await transaction.CommitAsync(ct);
        uow.NotifyCommitted();
        return results;
    }

    /// <summary>Contract checks and repeats inside the batch (classified against the first
    /// occurrence); what is left is one candidate per (tenant, id), in batch order.</summary>
    private List<Candidate> Screen(IReadOnlyList<UsageInput> batch, IReadOnlyDictionary<string, UsageTenant> tenants, DateTimeOffset now, UsageResult[] results)
    {
        var candidates = new List<Candidate>(batch.Count);
        var firsts = new Dictionary<(string Tenant, string Id), string>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var input = batch[i];
            var tenant = input.TenantId is null ? null : tenants.GetValueOrDefault(input.TenantId);
            if (UsageContract.Violation(input, tenant, catalogue, now, options.LookbackDays) is { } reason)
            {
                results[i] = new UsageResult(input.ClientEventId, input.TenantId, UsageStatus.Rejected, reason);
                continue;
            }

            var hash = input.PayloadHash();
            if (!firsts.TryAdd((tenant!.TenantId, input.ClientEventId!), hash))
            {
                results[i] = Repeat(input, firsts[(tenant.TenantId, input.ClientEventId!)] == hash, "an earlier event of this batch");
                continue;
            }

            candidates.Add(new Candidate(i, input, tenant, hash, UsageInput.EventIdOf(tenant.TenantId, input.ClientEventId!)));
        }

        return candidates;
    }

    private static string[] TenantIdsOf(IReadOnlyList<UsageInput> batch)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in batch)
        {
            if (input.TenantId is { } id)
            {
                ids.Add(id);
            }
        }

        return [.. ids];
    }

    private static UsageResult Repeat(UsageInput input, bool samePayload, string what) => samePayload
        ? new UsageResult(input.ClientEventId, input.TenantId, UsageStatus.Duplicate)
        : new UsageResult(input.ClientEventId, input.TenantId, UsageStatus.Conflict, $"same id as {what} with a different payload");

    /// <summary>One event that passed the contract and is the first of its id in the batch.</summary>
    private sealed class Candidate(int index, UsageInput input, UsageTenant tenant, string hash, Guid eventId)
    {
        public int Index { get; } = index;

        public UsageInput Input { get; } = input;

        public UsageTenant Tenant { get; } = tenant;

        public string Hash { get; } = hash;

        public Guid EventId { get; } = eventId;

        /// <summary>Set when a committed transaction already holds this id.</summary>
        public bool Unclaimed { get; set; }

        public DateOnly LocalDay => BillingPeriod.LocalDate(Input.Timestamp!.Value, Tenant.Zone);
    }
}
