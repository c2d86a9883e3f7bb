using Billing.Ledger.Stripe.Usage;
using Billing.Testing;
using static Billing.Host.Tests.Stripe.UsageExportSupport;

namespace Billing.Host.Tests.Stripe;

public sealed class StripeUsageExportTests(DatabaseFixture db, EmulatorFixture fx) : IClassFixture<DatabaseFixture>, IClassFixture<EmulatorFixture>
{
    private static readonly DateTimeOffset Hour = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddHours(-2);

    [Fact]
    public async Task a_dry_run_counts_and_sends_nothing_then_a_live_flush_sends_one_meter_event_per_tenant_metric_and_hour()
    {
        var store = db.CreateStore();
        await LinkCustomerAsync(store, "acme", "cus_usage_acme");
        await RecordUsageAsync(db.DataSource, "acme", "api_calls", 10, Hour.AddMinutes(5));
        await RecordUsageAsync(db.DataSource, "acme", "api_calls", 2.5m, Hour.AddMinutes(50));
        await RecordUsageAsync(db.DataSource, "acme", "storage_gb", 3, Hour.AddMinutes(10));
        await RecordUsageAsync(db.DataSource, "nocustomer", "api_calls", 7, Hour);
        await WaitUntilVisibleAsync(db.DataSource);
        var export = Export(db.DataSource, fx.Client());

        var dry = await export.FlushAsync(UsageExportMode.DryRun, default);
        Assert.Equal((3, 0, 1, 22.5m), (dry.Aggregates, dry.Sent, dry.TenantsWithoutCustomer, dry.Quantity));
        Assert.DoesNotContain(fx.Emulator.MeterEvents, m => m.Customer == "cus_usage_acme");
        Assert.Equal(0, await ScalarAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_usage_batches"));

        var live = await export.FlushAsync(UsageExportMode.Live, default);
        var again = await export.FlushAsync(UsageExportMode.Live, default);

        Assert.Equal((3, 2), (live.Aggregates, live.Sent));
        var sent = fx.Emulator.MeterEvents.Where(m => m.Customer == "cus_usage_acme").OrderBy(m => m.EventName).ToList();
        Assert.Equal([("api_calls", 12.5m), ("storage_gb", 3m)], sent.Select(m => (m.EventName, m.Value)));
        Assert.All(sent, m => Assert.StartsWith($"usage:{live.BatchId:N}:acme:", m.Identifier, StringComparison.Ordinal));
        Assert.Equal((0, (Guid?)null), (again.Aggregates, again.BatchId));
        Assert.Equal(1, await ScalarAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_usage_batches WHERE status = 'completed' AND meter_events = 2 AND skipped_tenants = 1"));
    }

    [Fact]
    public async Task a_second_flush_while_one_holds_the_lock_is_skipped_with_no_side_effects()
    {
        await using var holder = await db.DataSource.OpenConnectionAsync();
        await using (var take = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_lock({UsageExportOptions.DefaultLockKey})", holder))
        {
            await take.ExecuteScalarAsync();
        }

        var batchesBefore = await ScalarAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_usage_batches");
        var requestsBefore = fx.Emulator.RequestCount;

        var result = await Export(db.DataSource, fx.Client()).FlushAsync(UsageExportMode.Live, default);

        Assert.True(result.Skipped);
        Assert.Contains("skipped=true", result.ToString(), StringComparison.Ordinal);
        Assert.Equal(batchesBefore, await ScalarAsync(db.DataSource, "SELECT count(*) FROM ledger.stripe_usage_batches"));
        Assert.Equal(requestsBefore, fx.Emulator.RequestCount);
    }

    [Theory]
    [InlineData("true", true, UsageExportMode.Live)]
    [InlineData("TRUE", true, UsageExportMode.Live)]
    [InlineData("true", false, UsageExportMode.DryRun)]
    [InlineData(null, true, UsageExportMode.DryRun)]
    [InlineData("1", true, UsageExportMode.DryRun)]
    public void live_export_needs_both_live_true_and_confirm(string? live, bool confirm, UsageExportMode expected) =>
        Assert.Equal(expected, UsageExportGate.ModeFor(live, confirm));
}
