using Billing.Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Links the customer, payment intent and charge of a resolved payment or charge event
/// to its tenant, so later events without metadata (disputes, refunds issued from Stripe's
/// dashboard) resolve to the same tenant. An object already owned by another tenant is flagged,
/// never relinked.</summary>
public sealed class StripeObjectLinker(NpgsqlDataSource dataSource, TimeProvider time) : IStripeWebhookApplier
{
    private const string OwnersSql = "SELECT stripe_id, tenant_id FROM ledger.stripe_links WHERE stripe_id = ANY ($1)";

    public async Task<WebhookApplication?> ApplyAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct)
    {
        var objectType = context.Received.ObjectType;
        if (objectType is not ("payment_intent" or "charge"))
        {
            return null;
        }

        var links = new List<(string Id, string Kind)>();
        AddIf(links, context.ObjectText("customer"), "customer");
        AddIf(links, context.ObjectText("id"), objectType);
        AddIf(links, objectType == "payment_intent" ? context.ObjectText("latest_charge") : context.ObjectText("payment_intent"), objectType == "payment_intent" ? "charge" : "payment_intent");
        var owners = await OwnersAsync(links.Select(l => l.Id).ToArray(), ct);
        var foreign = owners.Where(o => o.Value != context.TenantId).Select(o => $"{o.Key} belongs to tenant {o.Value}").ToList();
        if (foreign.Count > 0)
        {
            return new WebhookApplication(WebhookOutcome.Flagged, string.Join("; ", foreign));
        }

        foreach (var (id, kind) in links.Where(l => !owners.ContainsKey(l.Id)))
        {
            uow.LinkStripeObject(id, context.TenantId, kind, time.GetUtcNow());
        }

        return null;
    }

    private static void AddIf(List<(string, string)> links, string? id, string kind)
    {
        if (!string.IsNullOrEmpty(id))
        {
            links.Add((id, kind));
        }
    }

    private async Task<Dictionary<string, string>> OwnersAsync(string[] ids, CancellationToken ct)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = dataSource.CreateCommand(OwnersSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            owners[reader.GetString(0)] = reader.GetString(1);
        }

        return owners;
    }
}
