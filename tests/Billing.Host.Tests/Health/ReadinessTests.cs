using System.Net;
using System.Text.Json;
using Billing.Host.Health;
using Billing.Ledger.Observability;
using Billing.Ledger.Postgres;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Host.Tests.Health;

public sealed class ReadinessTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyAsync(BillingApiFactory api)
    {
        using var client = api.CreateClient();
        var response = await client.GetAsync("/health/ready");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task readiness_flips_to_503_when_the_database_stops()
    {
        var dir = Path.Combine(Path.GetTempPath(), "billing-ready-" + Guid.NewGuid().ToString("N")[..12]);
        var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir, Persistent: false, Durable: false));
        try
        {
            await server.CreateDatabaseAsync("billing");
            await using var api = BillingApiFactory.ForDatabase(server.ConnectionString("billing"));
            await ((IAsyncLifetime)api).InitializeAsync();

            var (upStatus, up) = await ReadyAsync(api);
            Assert.Equal(HttpStatusCode.OK, upStatus);
            Assert.Equal("ok", up.GetProperty("status").GetString());
            Assert.Equal("ok", up.GetProperty("database").GetProperty("status").GetString());
            Assert.Equal("current", up.GetProperty("schema").GetProperty("status").GetString());

            await server.StopAsync();
            var (downStatus, down) = await ReadyAsync(api);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, downStatus);
            Assert.Equal("unavailable", down.GetProperty("status").GetString());
            Assert.Equal("unreachable", down.GetProperty("database").GetProperty("status").GetString());
            using var client = api.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task readiness_reports_stripe_mode_and_the_job_queue()
    {
        await using var api = new BillingApiFactory();
        api.Settings["STRIPE_SECRET_KEY"] = "sk_test_51Hreadinesscheck000000";
        await ((IAsyncLifetime)api).InitializeAsync();

        var (status, body) = await ReadyAsync(api);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("test", body.GetProperty("stripe").GetProperty("mode").GetString());
        Assert.Equal("ok", body.GetProperty("jobs").GetProperty("status").GetString());
        Assert.DoesNotContain("sk_test_", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task dead_letters_and_a_stopped_projection_degrade_readiness_and_feed_metrics()
    {
        await using var api = new BillingApiFactory();
        api.ExtraServices.Add(s => s.AddSingleton<IJobQueueProbe>(new FixedJobs(new JobQueueHealth(Queued: 4, Running: 1, Failed: 0, Dead: 2))));
        api.ExtraServices.Add(s => s.AddSingleton<IProjectionHealthProbe>(new FixedProjections([new ProjectionHealth("invoices", "paused", Healthy: false, LagEvents: 7, Owner: "node-a", Detail: "dead letter")])));
        await ((IAsyncLifetime)api).InitializeAsync();

        var (status, body) = await ReadyAsync(api);
        using var client = api.CreateClient();
        var metrics = Metrics.PrometheusText.Parse(await client.GetStringAsync("/metrics"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        Assert.Equal("dead letters", body.GetProperty("jobs").GetProperty("status").GetString());
        Assert.Equal("stopped", body.GetProperty("projections").GetProperty("status").GetString());
        Assert.Equal("node-a", body.GetProperty("projections").GetProperty("projections")[0].GetProperty("owner").GetString());
        Assert.Equal(2, Assert.Single(metrics.Of("billing_jobs"), s => s.Labels["state"] == "dead").Value);
        Assert.Equal(7, Assert.Single(metrics.Of("billing_projection_lag_events"), s => s.Labels["projection"] == "invoices").Value);
    }

    private sealed class FixedJobs(JobQueueHealth health) : IJobQueueProbe
    {
        public Task<JobQueueHealth> GetHealthAsync(CancellationToken ct) => Task.FromResult(health);
    }

    private sealed class FixedProjections(IReadOnlyList<ProjectionHealth> health) : IProjectionHealthProbe
    {
        public Task<IReadOnlyList<ProjectionHealth>> GetHealthAsync(CancellationToken ct) => Task.FromResult(health);
    }
}
