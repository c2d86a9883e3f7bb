using Billing.Ledger.Jobs;
using System.Net;
using Billing.Host.Auth;
using Billing.Ledger.Observability;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Host.Tests.Metrics;

public sealed class MetricsEndpointTests(BillingApiFactory api) : IClassFixture<BillingApiFactory>
{
    private async Task<PrometheusText> ScrapeAsync()
    {
        using var client = api.CreateClient();
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("billing_http_requests_total", "counter")]
    [InlineData("billing_http_request_duration_seconds", "histogram")]
    [InlineData("billing_events_appended_total", "counter")]
    [InlineData("billing_projection_lag_events", "gauge")]
    [InlineData("billing_jobs", "gauge")]
    [InlineData("billing_invoices_total", "counter")]
    [InlineData("billing_payments_total", "counter")]
    [InlineData("billing_webhook_events_total", "counter")]
    [InlineData("billing_webhook_failures_total", "counter")]
    [InlineData("billing_webhook_batch_deliveries", "histogram")]
    [InlineData("billing_webhook_batch_commit_seconds", "histogram")]
    [InlineData("billing_webhook_dispatched_total", "counter")]
    [InlineData("billing_webhook_dispatch_lag_events", "gauge")]
    [InlineData("billing_dunning_actions_total", "counter")]
    [InlineData("billing_subscriptions_active", "gauge")]
    [InlineData("billing_trials_active", "gauge")]
    [InlineData("billing_trials_expiring_soon", "gauge")]
    public async Task metrics_lists_the_required_instrument_with_its_type_and_help(string name, string type)
    {
        var metrics = await ScrapeAsync();

        Assert.Equal(type, metrics.Types[name]);
        Assert.False(string.IsNullOrWhiteSpace(metrics.Help[name]));
    }

    [Fact]
    public async Task every_counter_ends_in_total_and_features_not_fed_yet_report_zero()
    {
        var metrics = await ScrapeAsync();

        Assert.All(metrics.Types.Where(t => t.Value == "counter"), t => Assert.EndsWith("_total", t.Key, StringComparison.Ordinal));
        Assert.Equal(0, Assert.Single(metrics.Of("billing_webhook_failures_total")).Value);
        Assert.Equal(0, Assert.Single(metrics.Of("billing_trials_expiring_soon")).Value);
    }

    [Fact]
    public async Task http_requests_are_counted_by_route_method_and_status_with_a_consistent_histogram()
    {
        using var client = await api.CreateClientAsync(Roles.Finance);
        await client.GetAsync("/v1/whoami");

        var metrics = await ScrapeAsync();

        var count = Assert.Single(metrics.Of("billing_http_requests_total"), s => s.Labels["route"] == "/v1/whoami" && s.Labels["method"] == "GET" && s.Labels["status"] == "200");
        Assert.True(count.Value >= 1);
        var buckets = metrics.Of("billing_http_request_duration_seconds_bucket").Where(s => s.Labels["route"] == "/v1/whoami" && s.Labels["status"] == "200").ToList();
        Assert.Equal(buckets.Select(b => b.Value).Order(), buckets.Select(b => b.Value));
        Assert.Equal("+Inf", buckets[^1].Labels["le"]);
        var total = Assert.Single(metrics.Of("billing_http_request_duration_seconds_count"), s => s.Labels["route"] == "/v1/whoami" && s.Labels["status"] == "200");
        Assert.Equal(total.Value, buckets[^1].Value);
    }

    [Fact]
    public async Task webhook_batch_sizes_fall_in_the_histograms_own_buckets()
    {
        var before = await ScrapeAsync();
        api.Services.GetRequiredService<BillingMetrics>().WebhookBatchCommitted(3, TimeSpan.FromMilliseconds(3));

        var after = await ScrapeAsync();

        // Each instrument's own buckets, not the exporter's seconds defaults: delivery counts,
        // and milliseconds for the commit (a 3 ms commit falls in le="0.004", not le="0.002").
        var sizes = after.Of("billing_webhook_batch_deliveries_bucket").ToList();
        Assert.Equal(["1", "2", "4", "8", "16", "32", "64", "128", "256", "+Inf"], sizes.Select(b => b.Labels["le"]));
        var commits = after.Of("billing_webhook_batch_commit_seconds_bucket").ToList();
        Assert.Equal(["0.0005", "0.001", "0.002", "0.004", "0.008", "0.016", "0.032", "0.064", "0.128", "0.256", "0.512", "1.024", "+Inf"], commits.Select(b => b.Labels["le"]));
        double Grew(string name, string le) =>
            Assert.Single(after.Of(name), b => b.Labels["le"] == le).Value - before.Of(name).Where(b => b.Labels["le"] == le).Select(b => b.Value).SingleOrDefault();
        Assert.Equal(0, Grew("billing_webhook_batch_deliveries_bucket", "2"));
        Assert.Equal(1, Grew("billing_webhook_batch_deliveries_bucket", "4"));
        Assert.Equal(1, Grew("billing_webhook_batch_deliveries_bucket", "+Inf"));
        Assert.Equal(0, Grew("billing_webhook_batch_commit_seconds_bucket", "0.002"));
        Assert.Equal(1, Grew("billing_webhook_batch_commit_seconds_bucket", "0.004"));
    }

    [Fact]
    public async Task appended_events_and_fed_gauges_show_up()
    {
        var before = Assert.Single((await ScrapeAsync()).Of("billing_events_appended_total")).Value;
        await api.Services.GetRequiredService<ApiKeyStore>().CreateAsync(Roles.Ingest);
        var metrics = api.Services.GetRequiredService<BillingMetrics>();
        metrics.ReportProjectionLag("invoices", 42);
        await api.Services.GetRequiredService<JobQueue>().EnqueueAsync(new JobRequest("metrics.probe", "{}"), CancellationToken.None);
        var queued = (await api.Services.GetRequiredService<JobQueue>().CountsAsync(CancellationToken.None)).Queued;

        var scraped = await ScrapeAsync();

        // The job gauges come from the real queue at scrape time (nothing handles "metrics.probe").
        Assert.Equal(before + 1, Assert.Single(scraped.Of("billing_events_appended_total")).Value);
        Assert.True(queued >= 1);
        Assert.Equal(queued, Assert.Single(scraped.Of("billing_jobs"), s => s.Labels["state"] == "queued").Value);
        Assert.Equal(42, Assert.Single(scraped.Of("billing_projection_lag_events"), s => s.Labels["projection"] == "invoices").Value);
    }

    [Fact]
    public async Task label_values_are_escaped()
    {
        const string weird = "odd\"type\\with\nnewline";
        api.Services.GetRequiredService<BillingMetrics>().WebhookReceived(weird);

        var metrics = await ScrapeAsync();

        Assert.Contains(metrics.Of("billing_webhook_events_total"), s => s.Labels["type"] == weird);
    }
}
