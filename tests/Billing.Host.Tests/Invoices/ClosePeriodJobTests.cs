using System.Net.Http.Json;
using System.Text.Json;
using Billing.Ledger.Jobs;
using Billing.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Billing.Host.Tests.Invoices;

public sealed class SchedulingApi : BillingApi
{
    protected override string[] ExtraArgs => ["--Billing:Invoicing:ScheduleCloses=true"];
}

public sealed class ClosePeriodJobTests(SchedulingApi api) : IClassFixture<SchedulingApi>
{
    [Fact]
    public async Task creating_a_tenant_schedules_its_period_close_which_finalizes_and_schedules_the_next()
    {
        (await api.Http.PostAsync("/v1/tenants", Json.Body("""{"tenantId":"job-t","name":"J","planId":"starter","currency":"USD","billingEmail":"j@j.test","timeZone":"America/New_York"}"""))).EnsureSuccessStatusCode();
        Assert.Equal([("2026-03", DateTimeOffset.Parse("2026-04-02T04:00:00Z"))], await CloseJobsAsync());

        var worker = new JobWorker(api.DataSource, api.App.Services.GetServices<IJobHandler>().Where(h => h.JobType == "invoice.close-period"), api.Clock);
        await worker.DrainAsync(CancellationToken.None);
        Assert.Equal(0, (await api.Http.GetFromJsonAsync<JsonElement>("/v1/invoices?tenant=job-t")).GetProperty("items").GetArrayLength());

        api.Clock.SetTo(DateTimeOffset.Parse("2026-04-02T04:00:00Z"));
        await worker.DrainAsync(CancellationToken.None);

        // The Host's own worker may have claimed the job first: wait (with a deadline) for its outcome.
        var next = await Poll.UntilAsync(CloseJobsAsync, jobs => jobs.Contains(("2026-04", DateTimeOffset.Parse("2026-05-02T04:00:00Z"))), what: "the next period's close job");
        Assert.DoesNotContain(next, j => j.Period == "2026-03");
        var invoice = (await api.Http.GetFromJsonAsync<JsonElement>("/v1/invoices?tenant=job-t")).GetProperty("items")[0];
        Assert.Equal("open", invoice.GetProperty("status").GetString());
    }

    private async Task<List<(string Period, DateTimeOffset RunAt)>> CloseJobsAsync()
    {
        await using var command = api.DataSource.CreateCommand("SELECT payload->>'period', run_at FROM ledger.jobs WHERE type = 'invoice.close-period' AND tenant_id = 'job-t' AND state = 'pending' ORDER BY run_at");
        await using var reader = await command.ExecuteReaderAsync();
        var jobs = new List<(string, DateTimeOffset)>();
        while (await reader.ReadAsync())
        {
            jobs.Add((reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return jobs;
    }
}
