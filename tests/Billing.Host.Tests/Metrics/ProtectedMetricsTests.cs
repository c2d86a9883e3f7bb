using System.Net;
using Billing.Host.Auth;

namespace Billing.Host.Tests.Metrics;

public sealed class ProtectedMetricsTests
{
    [Fact]
    public async Task metrics_can_require_an_admin_or_finance_key()
    {
        await using var api = new BillingApiFactory();
        api.Settings["Billing:Metrics:AllowAnonymous"] = "false";
        await ((IAsyncLifetime)api).InitializeAsync();
        using var anonymous = api.CreateClient();
        using var finance = await api.CreateClientAsync(Roles.Finance);
        using var ingest = await api.CreateClientAsync(Roles.Ingest);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ingest.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await finance.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);
    }
}
