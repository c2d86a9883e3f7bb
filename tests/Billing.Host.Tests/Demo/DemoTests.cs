using Billing.Host.Auth;
using Billing.Host.Demo;
using Billing.Ledger.Invoicing;
using Billing.Ledger.Jobs;
using Billing.Ledger.Time;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Billing.Host.Tests.Demo;

public sealed class DemoTests(BillingApiFactory factory) : IClassFixture<BillingApiFactory>
{
    [Fact]
    public async Task the_demo_bills_a_month_of_usage_for_three_tenants_in_three_time_zones()
    {
        var clock = new AdjustableClock(DemoTenants.ClockStart);
        factory.Settings["Billing:Invoicing:ScheduleCloses"] = "false"; // as `billing demo` runs: it closes its period itself
        factory.ExtraServices.Add(services => services.AddSingleton<TimeProvider>(clock));
        using var admin = await factory.CreateClientAsync(Roles.Admin);
        var script = new DemoScript(admin, clock, factory.Services.GetRequiredService<InvoicePeriodClose>(), factory.Services.GetRequiredService<Billing.Ledger.Stripe.StripeClient>());

        var worker = new JobWorker(factory.Services.GetRequiredService<NpgsqlDataSource>(), factory.Services.GetServices<IJobHandler>(), clock);

        var rows = await script.RunAsync(() => DemoSettle.UntilQuietAsync(worker, factory.Services.GetRequiredService<JobQueue>(), TimeSpan.FromSeconds(60), CancellationToken.None), CancellationToken.None);

        Assert.Equal(["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"], rows.Select(r => r.Number));

        // Collected through the Stripe emulator: two visa cards pay, the declined card leaves its invoice open.
        Assert.Equal([InvoiceStatuses.Paid, InvoiceStatuses.Paid, InvoiceStatuses.Open], rows.Select(r => r.Status));
        foreach (var (row, tenant) in rows.Zip(DemoTenants.All))
        {
            Assert.Equal(DemoUsage.Month(tenant).Count(), row.UsageEvents);
            Assert.Equal(ExpectedTotal(tenant), row.TotalMinor);
        }

        // Europe/Berlin leaves summer time on 25 October: its October has 745 hours, the others 744.
        Assert.Equal(745 * 2 + 31, rows[0].UsageEvents);
        Assert.Equal(744 * 2 + 31, rows[1].UsageEvents);

        // Every job ran once: none was running when the clock jumped, so none lost its lease
        // (test-clock time) to another worker and ran a second attempt.
        await using var rerun = factory.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT coalesce(string_agg(id || ' ' || type || ' x' || attempts, ', '), '') FROM ledger.jobs WHERE attempts > 1");
        Assert.Equal("", (string)(await rerun.ExecuteScalarAsync())!);
    }

    /// <summary>The default catalogue's prices applied by hand to what the demo sends: base fee,
    /// then overage above the included units at the plan's unit price (graduated tiers are not
    /// reached by these volumes), each line rounded half away from zero. Logins are not billable.</summary>
    private static long ExpectedTotal(DemoTenant tenant)
    {
        var month = DemoUsage.Month(tenant).ToList();
        var calls = month.Where(e => e.Metric == "api_calls").Sum(e => e.Quantity);
        var storage = month.Where(e => e.Metric == "storage_gb").Sum(e => e.Quantity);
        var (baseFee, includedCalls, callPrice, includedGb, gbPrice) = tenant.PlanId switch
        {
            "starter" => (2_900L, 10_000m, 0.2m, 10m, 25m),
            "business" => (9_900L, 100_000m, 0.1m, 100m, 20m),
            "enterprise" => (49_900L, 1_000_000m, 0.05m, 1_000m, 15m),
            _ => throw new InvalidOperationException(tenant.PlanId),
        };
        static long Line(decimal quantity, decimal included, decimal price) =>
            (long)decimal.Round(Math.Max(0, quantity - included) * price, MidpointRounding.AwayFromZero);
        return baseFee + Line(calls, includedCalls, callPrice) + Line(storage, includedGb, gbPrice);
    }
}
