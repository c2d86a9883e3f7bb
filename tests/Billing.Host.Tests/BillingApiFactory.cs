using System.Net.Http.Headers;
using Billing.Host.Auth;
using Billing.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Core;

namespace Billing.Host.Tests;

/// <summary>The real Host (Program → BillingCli → BillingApp.BuildAsync) on a database of its own,
/// over in-memory HTTP. Use as <c>IClassFixture&lt;BillingApiFactory&gt;</c>; call
/// <see cref="CreateClientAsync"/> for a client holding a real API key of a role.</summary>
/// <remarks>Settings reach the app as host configuration, which WebApplicationFactory passes to
/// the entry point as <c>--key=value</c> arguments; that is what <c>BuildAsync</c> reads before
/// the host is built (BILLING_DB decides embedded or not), so <c>ConfigureAppConfiguration</c>
/// would come too late. A nested setting (<c>Stripe:WebhookSecret</c>) also gives its parents
/// (<c>Stripe</c>) an empty value that way; read sections, not parent values.</remarks>
public sealed class BillingApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    private string? _connectionString;

    /// <summary>Configuration for the app; add to it before the first request.</summary>
    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["Billing:Logging:Format"] = "none",
    };

    /// <summary>Every log event the app writes (masked, with its properties).</summary>
    public LogCapture Logs { get; } = new();

    /// <summary>Extra endpoints for tests (mapped after the app's own).</summary>
    public List<IEndpointModule> Modules { get; } = [];

    /// <summary>Service registrations applied after the app's own (e.g. a probe under test).</summary>
    public List<Action<IServiceCollection>> ExtraServices { get; } = [];

    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("Call InitializeAsync first.");

    /// <summary>A factory on a database the caller owns (e.g. a dedicated cluster it will stop).</summary>
    public static BillingApiFactory ForDatabase(string connectionString) => new() { _connectionString = connectionString };

    public async Task InitializeAsync()
    {
        _connectionString ??= await TestCluster.CreateDatabaseAsync("api");
        Settings["BILLING_DB"] = _connectionString;
        Settings["BILLING_DATA_DIR"] = Path.Combine(Path.GetTempPath(), "billing-api-" + Guid.NewGuid().ToString("N")[..12]);
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    /// <summary>A client authenticated with a freshly created key of <paramref name="role"/>
    /// (bound to <paramref name="tenantId"/> for tenant keys).</summary>
    public async Task<HttpClient> CreateClientAsync(string role, string? tenantId = null)
    {
        var created = await CreateKeyAsync(role, tenantId);
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Key);
        return client;
    }

    /// <summary>A real key of <paramref name="role"/>, when a test needs the key itself.</summary>
    public Task<CreatedApiKey> CreateKeyAsync(string role, string? tenantId = null) =>
        Services.GetRequiredService<ApiKeyStore>().CreateAsync(role, tenantId, "test client");

    protected override IHost CreateHost(IHostBuilder builder)
    {
        builder.ConfigureHostConfiguration(config => config.AddInMemoryCollection(Settings));
        return base.CreateHost(builder);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<ILogEventSink>(Logs);
            foreach (var module in Modules)
            {
                services.AddSingleton(module);
            }

            foreach (var extra in ExtraServices)
            {
                extra(services);
            }
        });
}
