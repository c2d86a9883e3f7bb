using System.Text.Json;
using Billing.Ledger.EventStore;
using Billing.Ledger.Time;
using Billing.Testing;

namespace Billing.Projections.Tests;

public sealed class AsOfTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task as_of_a_past_position_equals_the_live_model_as_it_was_then()
    {
        var projection = new AccountBalancesProjection("asof_balances", tenantPrefix: "as");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var store = db.CreateStore(inline: [new InlineProjection(projection)]);
        AppendResult last = null!;
        for (var i = 0; i < 12; i++)
        {
            last = await store.DepositAsync($"as{i % 2}", $"as-{i % 4}", 10 + i);
        }

        var then = await db.RowsAsync("rm.asof_balances");
        var thenTenant1 = then.Where(r => r.StartsWith("(as1,", StringComparison.Ordinal)).ToList();
        for (var i = 0; i < 8; i++)
        {
            await store.DepositAsync($"as{i % 2}", $"as-{i % 5}", 100);
        }

        await using var connection = await db.DataSource.OpenConnectionAsync();
        var builder = new AsOfBuilder(store, catalog);
        await builder.BuildAsync(connection, projection.Name, new AsOfOptions(Position: last.LastPosition));
        Assert.Equal(then, await TempRowsAsync(connection, "asof_balances"));
        Assert.NotEqual(then, await db.RowsAsync("rm.asof_balances"));

        await builder.BuildAsync(connection, projection.Name, new AsOfOptions(Position: last.LastPosition, TenantId: "as1"));
        Assert.Equal(thenTenant1, await TempRowsAsync(connection, "asof_balances"));
    }

    [Fact]
    public async Task as_of_a_moment_exports_the_model_as_csv_and_json()
    {
        var projection = new AccountBalancesProjection("asof_time", tenantPrefix: "at");
        var catalog = await db.RegisterAsync(new ProjectionRegistration(projection, ProjectionMode.Inline));
        var clock = new AdjustableClock(new DateTimeOffset(2026, 3, 31, 23, 59, 0, TimeSpan.Zero));
        var store = db.CreateStore(clock, inline: [new InlineProjection(projection)]);
        await store.DepositAsync("at", "at-1", 500);
        await store.DepositAsync("at", "at-2", 7);
        clock.Advance(TimeSpan.FromMinutes(2));
        await store.DepositAsync("at", "at-1", 1);

        var builder = new AsOfBuilder(store, catalog);
        var endOfMarch = new AsOfOptions(At: new DateTimeOffset(2026, 3, 31, 23, 59, 59, TimeSpan.Zero));
        using var csv = new MemoryStream();
        var rows = await builder.ExportAsync(projection.Name, endOfMarch, AsOfFormat.Csv, csv);
        using var json = new MemoryStream();
        await builder.ExportAsync(projection.Name, endOfMarch, AsOfFormat.Json, json);

        Assert.Equal(2, rows);
        var lines = System.Text.Encoding.UTF8.GetString(csv.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["tenant_id,account_id,balance,last_version", "at,at-1,500,1", "at,at-2,7,1"], lines);
        using var doc = JsonDocument.Parse(json.ToArray());
        var balances = doc.RootElement.GetProperty("tables").GetProperty("asof_time");
        Assert.Equal(500, balances[0].GetProperty("balance").GetInt64());
        Assert.Equal(2, doc.RootElement.GetProperty("tables").GetProperty("asof_time_applied").GetArrayLength());
    }

    internal static async Task<List<string>> TempRowsAsync(Npgsql.NpgsqlConnection connection, string table)
    {
        await using var command = new Npgsql.NpgsqlCommand($"SELECT t::text FROM pg_temp.{table} t ORDER BY 1", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
