using System.Net;
using System.Net.Http.Json;
using Billing.Host.Auth;
using Billing.Host.Observability;
using Billing.Ledger.EventStore;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Host.Tests.Observability;

public sealed class CorrelationIdTests(BillingApiFactory api) : IClassFixture<BillingApiFactory>
{
    [Fact]
    public async Task a_callers_correlation_id_reaches_the_response_the_stored_events_and_the_logs()
    {
        using var admin = await api.CreateClientAsync(Roles.Admin);
        var me = await admin.GetFromJsonAsync<ApiKeyEndpoints.WhoAmIResponse>("/v1/whoami");
        var correlationId = "trace-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/keys") { Content = JsonContent.Create(new ApiKeyEndpoints.CreateKeyRequest(Roles.Finance)) };
        request.Headers.Add(CorrelationIdMiddleware.Header, correlationId);

        var response = await admin.SendAsync(request);
        var created = await response.Content.ReadFromJsonAsync<ApiKeyEndpoints.CreatedKeyResponse>();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(correlationId, Assert.Single(response.Headers.GetValues(CorrelationIdMiddleware.Header)));
        var events = await api.Services.GetRequiredService<EventStore>().ReadStreamAsync(ApiKeyStream.TenantId, ApiKeyStream.StreamId);
        var stored = Assert.Single(events, e => e.Data is ApiKeyCreated c && c.Prefix == created!.Info.Prefix);
        Assert.Equal(correlationId, stored.Metadata.CorrelationId);
        Assert.Equal(me!.Actor, stored.Metadata.Actor);
        Assert.Contains(api.Logs.WithCorrelationId(correlationId), e => e.MessageTemplate.Text.StartsWith("HTTP {Method} {Route}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_generated_correlation_id_is_the_one_stored_on_the_requests_events()
    {
        using var admin = await api.CreateClientAsync(Roles.Admin);
        var tenantId = "corr-" + Guid.NewGuid().ToString("N")[..8];

        var response = await admin.PostAsJsonAsync("/v1/tenants", new
        {
            tenantId, name = "Correlated", planId = "starter", currency = "USD", billingEmail = "billing@corr.example", timeZone = "UTC",
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var echoed = Assert.Single(response.Headers.GetValues(CorrelationIdMiddleware.Header));
        var stored = Assert.Single(await api.Services.GetRequiredService<EventStore>().ReadStreamAsync(tenantId, Billing.Ledger.Tenants.TenantStreams.IdOf(tenantId)));
        Assert.Equal(echoed, stored.Metadata.CorrelationId);
    }

    [Fact]
    public async Task a_request_without_a_correlation_id_gets_a_generated_one_echoed()
    {
        using var client = api.CreateClient();

        var response = await client.GetAsync("/health");

        var id = Assert.Single(response.Headers.GetValues(CorrelationIdMiddleware.Header));
        Assert.False(string.IsNullOrWhiteSpace(id));
        Assert.NotEmpty(api.Logs.WithCorrelationId(id));
    }

    [Fact]
    public async Task an_unsafe_correlation_id_is_replaced_not_echoed()
    {
        using var client = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.TryAddWithoutValidation(CorrelationIdMiddleware.Header, "evil id with spaces and {braces}");

        var response = await client.SendAsync(request);

        Assert.DoesNotContain("evil", Assert.Single(response.Headers.GetValues(CorrelationIdMiddleware.Header)), StringComparison.Ordinal);
    }

    [Fact]
    public void log_lines_inside_a_correlation_scope_carry_its_id()
    {
        var logger = api.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("job-runner");
        using (Billing.Ledger.Observability.CorrelationScope.Begin("job-7-run"))
        {
            Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(logger, "Job {JobId} started", 7);
        }

        Assert.Contains(api.Logs.WithCorrelationId("job-7-run"), e => e.MessageTemplate.Text == "Job {JobId} started");
    }

    [Fact]
    public async Task an_append_without_explicit_correlation_takes_the_ambient_one()
    {
        var store = api.Services.GetRequiredService<EventStore>();
        var streamId = "ambient-" + Guid.NewGuid();
        using (Billing.Ledger.Observability.CorrelationScope.Begin("job-run-42"))
        {
            await store.AppendAsync("acme", streamId, "test", ExpectedVersion.Any, [NewEvent.For(new ApiKeyRevoked("bk_live_test", DateTimeOffset.UnixEpoch))], new EventMetadata(Actor: "system:test"));
        }

        var appended = Assert.Single(await store.ReadStreamAsync("acme", streamId));
        Assert.Equal("job-run-42", appended.Metadata.CorrelationId);
        Assert.Equal("system:test", appended.Metadata.Actor);
    }
}
