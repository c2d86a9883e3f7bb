using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Which tenant an event belongs to, and how that was decided.</summary>
public sealed record TenantResolution(string TenantId, bool Matched, string ResolvedBy)
{
    public static TenantResolution Unmatched { get; } = new(StripeWebhookStreams.UnmatchedTenant, false, "none");
}

/// <summary>Resolves a Stripe event to a tenant: <c>data.object.metadata.tenant_id</c> (we put it
/// on every object we create), else an object it references (customer, payment intent, charge)
/// linked to a tenant in <c>ledger.stripe_links</c> or a customer id a tenant was configured with
/// (<c>rm.tenants.stripe_customer_id</c>: customers created outside the ledger), else unmatched.</summary>
public sealed class StripeTenantResolver(NpgsqlDataSource dataSource)
{
    // Both sources in one function with an index plan pinned (migration 0098).
    private const string LookupSql = "SELECT stripe_id, tenant_id FROM ledger.stripe_tenant_candidates($1)";

    public async Task<TenantResolution> ResolveAsync(StripeWebhookEnvelope e, CancellationToken ct)
    {
        if (e.Metadata("tenant_id") is { Length: > 0 } tenant && tenant != StripeWebhookStreams.UnmatchedTenant)
        {
            return new TenantResolution(tenant, true, "metadata");
        }

        // In order of preference: the customer is the strongest link to a tenant.
        string?[] candidates = [e.ObjectText("customer"), e.ObjectText("payment_intent"), e.ObjectText("charge"), e.ObjectId];
        var ids = candidates.OfType<string>().Where(s => s.Length > 0).Distinct().ToArray();
        if (ids.Length == 0)
        {
            return TenantResolution.Unmatched;
        }

        await using var command = dataSource.CreateCommand(LookupSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                owners[reader.GetString(0)] = reader.GetString(1);
            }
        }

        foreach (var id in ids)
        {
            if (owners.TryGetValue(id, out var owner))
            {
                return new TenantResolution(owner, true, "link:" + id.Split('_')[0]);
            }
        }

        return TenantResolution.Unmatched;
    }
}
