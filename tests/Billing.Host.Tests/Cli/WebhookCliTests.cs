using System.Text;
using System.Text.Json.Nodes;
using Billing.Ledger.EventStore;
using Billing.Ledger.Stripe.Webhooks;
using Billing.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Billing.Host.Tests.Cli;

/// <summary><c>billing stripe webhooks process-pending</c> as a process, with no Host running:
/// acknowledged events the dispatcher never reached get their receipts and are processed.</summary>
public sealed class WebhookCliTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private static byte[] Refund(string id, string tenant) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["id"] = id,
        ["object"] = "event",
        ["type"] = "charge.refunded",
        ["created"] = 1_700_000_000,
        ["livemode"] = false,
        ["data"] = new JsonObject { ["object"] = new JsonObject { ["id"] = "ch_" + id, ["object"] = "charge", ["metadata"] = new JsonObject { ["tenant_id"] = tenant } } },
    }.ToJsonString());

    [Fact]
    public async Task process_pending_dispatches_acknowledged_events_first_and_processes_them()
    {
        var store = db.CreateStore();
        var ids = new[] { "evt_cli_" + Guid.NewGuid().ToString("N")[..16], "evt_cli_" + Guid.NewGuid().ToString("N")[..16] };
        await using (var inbox = new StripeWebhookInbox(store, new StripeTenantResolver(db.DataSource), null, NullLogger<StripeWebhookInbox>.Instance))
        {
            foreach (var id in ids)
            {
                await inbox.AcceptAsync(Refund(id, "acme"), EventMetadata.Empty, default);
            }
        }

        var (code, output, error) = await CliProcess.RunAsync(db.ConnectionString, new Dictionary<string, string>(), "stripe", "webhooks", "process-pending");

        Assert.True(code == 0, error);
        // The command's summary line; the app's log lines share stdout, in whichever order they flush.
        Assert.Single(output.Split('\n'), line => line.Trim() == "dispatched=2 pending=2 processed=2 failed=0");
        foreach (var id in ids)
        {
            var stream = await store.ReadStreamAsync("acme", StripeWebhookStreams.StreamId(id));
            Assert.IsType<StripeWebhookProcessed>(stream[^1].Data);
        }

        await using var command = db.DataSource.CreateCommand("SELECT count(*) FROM ledger.stripe_webhook_receipts WHERE stripe_event_id = ANY ($1) AND processed_at IS NOT NULL");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string[]> { TypedValue = ids });
        Assert.Equal(2L, await command.ExecuteScalarAsync());
    }
}
