using Billing.Ledger.Jobs;
using Billing.Ledger.Stripe.Usage;
using Billing.Testing;
using static Billing.Host.Tests.Stripe.UsageExportSupport;

namespace Billing.Host.Tests.Stripe;

public sealed class StripeUsageFlushJobTests(DatabaseFixture db, EmulatorFixture fx) : IClassFixture<DatabaseFixture>, IClassFixture<EmulatorFixture>
{
    [Fact]
    public async Task enqueue_hourly_twice_in_one_hour_queues_one_job_that_flushes_live()
    {
        var store = db.CreateStore();
        await LinkCustomerAsync(store, "hourly", "cus_hourly");
        await RecordUsageAsync(db.DataSource, "hourly", "api_calls", 4, DateTimeOffset.UtcNow.AddMinutes(-30));
        await WaitUntilVisibleAsync(db.DataSource);
        var now = DateTimeOffset.UtcNow;

        await StripeUsageFlushJob.Enqueue(store.BeginUnitOfWork(), UsageExportMode.Live, now).CommitAsync();
        await StripeUsageFlushJob.Enqueue(store.BeginUnitOfWork(), UsageExportMode.Live, now).CommitAsync();
        await new JobWorker(db.DataSource, [new StripeUsageFlushJob(Export(db.DataSource, fx.Client()))]).DrainAsync(default);

        Assert.Equal(1, await ScalarAsync(db.DataSource, $"SELECT count(*) FROM ledger.jobs WHERE type = '{StripeUsageFlushJob.Type}' AND state = 'completed'"));
        Assert.Equal(4m, Assert.Single(fx.Emulator.MeterEvents, m => m.Customer == "cus_hourly").Value);
    }
}
