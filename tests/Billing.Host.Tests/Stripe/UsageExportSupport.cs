using System.Text.Json.Nodes;
using Billing.Ledger.EventStore;
using Billing.Ledger.Stripe;
using Billing.Ledger.Stripe.Usage;
using Billing.Ledger.Stripe.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Host.Tests.Stripe;

internal static class UsageExportSupport
{
    /// <summary>Appends a usage.recorded.v1 event in its stored wire shape (the usage area owns
    /// the CLR type; the export reads only the stored JSON).</summary>
    public static async Task RecordUsageAsync(NpgsqlDataSource ds, string tenant, string metric, decimal quantity, DateTimeOffset at)
    {
        var data = new JsonObject { ["clientEventId"] = Guid.NewGuid().ToString(), ["metric"] = metric, ["quantity"] = quantity, ["timestamp"] = at, ["localDay"] = at.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), ["payloadHash"] = "x" };
        await using var command = ds.CreateCommand("SELECT * FROM ledger.append_to_stream($1, $2, 'usage', -1, $3, ARRAY['usage.recorded.v1'], $4, ARRAY[NULL::jsonb], NULL, NULL, NULL, NULL)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"usage-{tenant}-0" });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [Guid.NewGuid()], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [data.ToJsonString()], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Waits (with a deadline) until every recorded usage event is below the cluster's
    /// xmin horizon, i.e. visible to the export's ordered read: transactions of tests running in
    /// other databases of the same cluster hold the horizon back for a moment.</summary>
    public static async Task WaitUntilVisibleAsync(NpgsqlDataSource ds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        const string sql = "SELECT count(*) FILTER (WHERE tx_id >= pg_snapshot_xmin(pg_current_snapshot())) FROM ledger.events WHERE type = 'usage.recorded.v1'";
        while (await ScalarAsync(ds, sql) > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("recorded usage did not become visible within 20 s");
            }

            await Task.Yield();
        }
    }

    public static async Task LinkCustomerAsync(EventStore store, string tenant, string customer) =>
        await store.BeginUnitOfWork().LinkStripeObject(customer, tenant, "customer", DateTimeOffset.UtcNow).CommitAsync();

    public static StripeUsageExport Export(NpgsqlDataSource ds, StripeClient client) =>
        new(ds, client, new UsageExportOptions(), TimeProvider.System, NullLogger<StripeUsageExport>.Instance);

    public static async Task<long> ScalarAsync(NpgsqlDataSource ds, string sql)
    {
        await using var command = ds.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
