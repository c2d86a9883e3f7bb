using Billing.Ledger.EventStore;
using Billing.Ledger.Pricing;

namespace Billing.Ledger.Tenants;

/// <summary>A tenant as stored: its state and the stream version (the HTTP ETag).</summary>
public sealed record TenantSnapshot(TenantState State, long Version);

/// <summary>Loads a tenant stream, decides, appends with the expected version.</summary>
public sealed class TenantDirectory(EventStore.EventStore store, PlanCatalogue catalogue, TimeProvider clock)
{
    public async Task<TenantSnapshot?> LoadAsync(string tenantId, CancellationToken ct)
    {
        var events = await store.ReadStreamAsync(tenantId, TenantStreams.IdOf(tenantId), ct: ct);
        var state = TenantDecider.Fold(events.Select(e => e.Data));
        return state is null ? null : new TenantSnapshot(state, events[^1].Version);
    }

    public async Task<TenantSnapshot> CreateAsync(string tenantId, TenantProfile profile, EventMetadata metadata, CancellationToken ct)
    {
        var events = TenantDecider.Decide(new CreateTenant(tenantId, profile, catalogue.Find(profile.PlanId)?.Currency, clock.GetUtcNow()), null);
        try
        {
            var result = await store.AppendAsync(tenantId, TenantStreams.IdOf(tenantId), TenantStreams.Type, ExpectedVersion.NoStream, events.Select(NewEvent.For), metadata, ct);
            return new TenantSnapshot(TenantDecider.Fold(events)!, result.LastVersion);
        }
        catch (WrongExpectedVersionException)
        {
            throw new TenantRejected("tenant_exists", $"Tenant '{tenantId}' already exists.");
        }
    }

    /// <summary>Updates the profile; <paramref name="expectedVersion"/> (from If-Match) makes a
    /// stale update fail with <see cref="WrongExpectedVersionException"/> instead of overwriting.</summary>
    public async Task<TenantSnapshot> UpdateAsync(string tenantId, TenantProfile profile, long? expectedVersion, EventMetadata metadata, CancellationToken ct)
    {
        var current = await LoadAsync(tenantId, ct);
        var version = current?.Version ?? 0;
        if (expectedVersion is { } expected && current is not null && expected != version)
        {
            throw new WrongExpectedVersionException(tenantId, TenantStreams.IdOf(tenantId), ExpectedVersion.Exact(expected), version);
        }

        var events = TenantDecider.Decide(new UpdateTenant(tenantId, profile, catalogue.Find(profile.PlanId)?.Currency, clock.GetUtcNow()), current?.State);
        if (events.Count == 0)
        {
            return current!;
        }

        var result = await store.AppendAsync(tenantId, TenantStreams.IdOf(tenantId), TenantStreams.Type, ExpectedVersion.Exact(version), events.Select(NewEvent.For), metadata, ct);
        return new TenantSnapshot(events.Aggregate<object, TenantState?>(current!.State, TenantDecider.Evolve)!, result.LastVersion);
    }
}
