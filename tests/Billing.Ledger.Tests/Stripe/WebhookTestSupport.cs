using System.Text;
using System.Text.Json.Nodes;
using Billing.Ledger.EventStore;
using Billing.Ledger.Stripe.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Billing.Ledger.Tests.Stripe;

/// <summary>A queue that writes its jobs to a table in the dispatcher's unit of work, so tests can
/// see that the job committed (or rolled back) with the receipts, as the real outbox does.</summary>
internal sealed class TableWebhookQueue : IStripeWebhookQueue
{
    public const string CreateSql = "CREATE TABLE IF NOT EXISTS public.test_webhook_jobs (id bigserial PRIMARY KEY, stripe_event_id text NOT NULL, tenant_id text NOT NULL)";

    public void Enqueue(UnitOfWork uow, IReadOnlyList<StripeWebhookBatchItem> events)
    {
        foreach (var e in events)
        {
            uow.AddCommand("INSERT INTO public.test_webhook_jobs (stripe_event_id, tenant_id) VALUES ($1, $2)", e.StripeEventId, e.TenantId);
        }
    }
}

internal static class WebhookTestSupport
{
    public static string NewEventId() => "evt_" + Guid.NewGuid().ToString("N")[..24];

    public static byte[] Event(string id, string type, JsonObject dataObject, long created = 1_700_000_000) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["id"] = id,
            ["object"] = "event",
            ["type"] = type,
            ["created"] = created,
            ["livemode"] = false,
            ["api_version"] = "2024-06-20",
            ["data"] = new JsonObject { ["object"] = dataObject },
        }.ToJsonString());

    public static JsonObject PaymentIntent(string id, string? tenant, string? customer = null, string? latestCharge = null, string status = "succeeded") => new()
    {
        ["id"] = id,
        ["object"] = "payment_intent",
        ["amount"] = 4200,
        ["currency"] = "eur",
        ["status"] = status,
        ["customer"] = customer,
        ["latest_charge"] = latestCharge,
        ["metadata"] = tenant is null ? new JsonObject() : new JsonObject { ["tenant_id"] = tenant, ["invoice_id"] = "inv_1" },
    };

    public static StripeWebhookInbox Inbox(Billing.Ledger.EventStore.EventStore store, StripeWebhookDispatcher? dispatcher = null) =>
        new(store, new StripeTenantResolver(store.DataSource), dispatcher, NullLogger<StripeWebhookInbox>.Instance);

    public static StripeWebhookDispatcher Dispatcher(Billing.Ledger.EventStore.EventStore store, IStripeWebhookQueue? queue = null, StripeWebhookDispatchOptions? options = null) =>
        new(store, queue ?? new TableWebhookQueue(), TimeProvider.System, NullLogger<StripeWebhookDispatcher>.Instance, options: options);

    public static StripeWebhookProcessor Processor(Billing.Ledger.EventStore.EventStore store, params IStripeWebhookApplier[] extra) =>
        new(store, new StripeTenantResolver(store.DataSource), [new StripeObjectLinker(store.DataSource), .. extra], TimeProvider.System, NullLogger<StripeWebhookProcessor>.Instance);

    public static async Task<long> CountAsync(NpgsqlDataSource ds, string sql, params object[] args)
    {
        await using var command = ds.CreateCommand(sql);
        foreach (var a in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = a });
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
