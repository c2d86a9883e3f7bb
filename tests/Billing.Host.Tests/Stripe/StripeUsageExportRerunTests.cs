using Billing.Ledger.Stripe;
using Billing.Ledger.Stripe.Usage;
using Billing.Testing;
using static Billing.Host.Tests.Stripe.UsageExportSupport;

namespace Billing.Host.Tests.Stripe;

public sealed class StripeUsageExportRerunTests(DatabaseFixture db, EmulatorFixture fx) : IClassFixture<DatabaseFixture>, IClassFixture<EmulatorFixture>
{
    [Fact]
    public async Task a_rerun_after_a_crash_mid_batch_resumes_the_same_batch_and_double_counts_nothing()
    {
        var store = db.CreateStore();
        var hour = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddHours(-3);
        foreach (var tenant in new[] { "t1", "t2", "t3" })
        {
            await LinkCustomerAsync(store, tenant, "cus_rerun_" + tenant);
            await RecordUsageAsync(db.DataSource, tenant, "api_calls", 5, hour);
        }

        await WaitUntilVisibleAsync(db.DataSource);
        var impatient = fx.Client(retry: EmulatorFixture.FastRetries with { MaxRetries = 1 });
        // The first meter event goes through, then Stripe is down: the run dies mid-batch.
        fx.Emulator.Faults.Enqueue(1, new StripeEmulator.Fault(StripeEmulator.FaultKind.Latency));
        fx.Emulator.Faults.FailNext(10, 503);
        await Assert.ThrowsAsync<StripeApiException>(() => Export(db.DataSource, impatient).FlushAsync(UsageExportMode.Live, default));
        var afterCrash = fx.Emulator.MeterEvents.Count(m => m.Customer.StartsWith("cus_rerun_", StringComparison.Ordinal));
        fx.Emulator.Faults.Clear();

        var rerun = await Export(db.DataSource, fx.Client()).FlushAsync(UsageExportMode.Live, default);

        Assert.Equal(1, afterCrash);
        Assert.Equal(3, rerun.Sent);
        var sent = fx.Emulator.MeterEvents.Where(m => m.Customer.StartsWith("cus_rerun_", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, sent.Count);
        Assert.Equal(15m, sent.Sum(m => m.Value));
        Assert.Equal(1, await ScalarAsync(db.DataSource, $"SELECT count(*) FROM ledger.stripe_usage_batches WHERE batch_id = '{rerun.BatchId}' AND status = 'completed' AND attempts = 2"));
    }
}
