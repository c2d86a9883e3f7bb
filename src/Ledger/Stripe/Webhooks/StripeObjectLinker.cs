using Billing.Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Stripe.Webhooks;

/// <summary>Links the customer, payment intent and charge of a resolved payment or charge event
/// to its tenant, so later events without metadata (disputes, refunds issued from Stripe's
/// dashboard) resolve to the same tenant. An object already owned by another tenant is flagged,
/// never relinked. The links go to <see cref="StripeWebhookContext.NewLinks"/>; the processor
/// writes them with the event's "processed" marker.</summary>
public sealed class StripeObjectLinker(NpgsqlDataSource dataSource) : IStripeWebhookApplier
{
    private const string OwnersSql = "SELECT stripe_id, tenant_id FROM ledger.stripe_link_owners($1)";
    private const string OwnersKey = "stripe-link-owners";

    public async Task<WebhookApplication?> ApplyAsync(StripeWebhookContext context, UnitOfWork uow, CancellationToken ct)
    {
        var links = Candidates(context);
        if (links.Count == 0)
        {
            return null;
        }

        var owners = context.Lookups.Find<Dictionary<string, string>>(OwnersKey) ?? await OwnersAsync([.. links.Select(l => l.Id)], ct);
        var foreign = links.Where(l => owners.TryGetValue(l.Id, out var owner) && owner != context.TenantId)
            .Select(l => $"{l.Id} belongs to tenant {owners[l.Id]}").ToList();
        if (foreign.Count > 0)
        {
            return new WebhookApplication(WebhookOutcome.Flagged, string.Join("; ", foreign));
        }

        context.NewLinks.AddRange(links.Where(l => !owners.ContainsKey(l.Id)));
        return null;
    }

    /// <summary>One query for the owners of every object the batch's events reference.</summary>
    public async Task PrefetchAsync(IReadOnlyList<StripeWebhookContext> batch, CancellationToken ct)
    {
        var ids = batch.SelectMany(Candidates).Select(l => l.Id).Distinct(StringComparer.Ordinal).ToArray();
        if (ids.Length > 0)
        {
            batch[0].Lookups.Put(OwnersKey, await OwnersAsync(ids, ct));
        }
    }

    private static List<(string Id, string Kind)> Candidates(StripeWebhookContext context)
    {
        var links = new List<(string Id, string Kind)>();
        var objectType = context.Received.ObjectType;
        if (objectType is not ("payment_intent" or "charge"))
        {
            return links;
        }

        AddIf(links, context.ObjectText("customer"), "customer");
        AddIf(links, context.ObjectText("id"), objectType);
        AddIf(links, objectType == "payment_intent" ? context.ObjectText("latest_charge") : context.ObjectText("payment_intent"), objectType == "payment_intent" ? "charge" : "payment_intent");
        return links;
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
