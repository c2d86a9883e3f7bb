using Billing.Host;
using Billing.Host.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Billing.Benchmarks.Http;

/// <summary>The real Host (<see cref="BillingApp.BuildAsync"/>) in this process on Kestrel at an
/// ephemeral loopback port, on the benchmark's database: requests travel real HTTP and the
/// whole pipeline (auth, parsing, services, PostgreSQL) is what gets measured.</summary>
public sealed class BenchHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDir;

    private BenchHost(WebApplication app, Uri baseAddress, string dataDir)
    {
        _app = app;
        BaseAddress = baseAddress;
        _dataDir = dataDir;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<BenchHost> StartAsync(BenchDatabase database, IEnumerable<string> extraArgs, Action<WebApplicationBuilder>? configure, CancellationToken ct)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "billing-bench-host-" + Guid.NewGuid().ToString("N")[..12]);
        // The data source's own string omits a password; the benchmark clusters use trust auth,
        // and BILLING_TEST_DB servers are reached with the string the caller configured.
        var connectionString = Environment.GetEnvironmentVariable("BILLING_TEST_DB") is { Length: > 0 } external
            ? new NpgsqlConnectionStringBuilder(external) { Database = new NpgsqlConnectionStringBuilder(database.DataSource.ConnectionString).Database }.ConnectionString
            : database.DataSource.ConnectionString;
        string[] args =
        [
            "--urls=http://127.0.0.1:0",
            $"--BILLING_DB={connectionString}",
            $"--BILLING_DATA_DIR={dataDir}",
            "--Billing:Logging:Format=text",
            "--Serilog:MinimumLevel:Default=Error",
            .. extraArgs,
        ];
        var app = await BillingApp.BuildAsync(args, ct, configure);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BenchHost(app, new Uri(address), dataDir);
    }

    /// <summary>A client holding a fresh admin key; one per concurrent sender, each with its own
    /// connection pool as separate callers would have.</summary>
    public async Task<HttpClient> CreateAdminClientAsync(CancellationToken ct)
    {
        var key = await _app.Services.GetRequiredService<ApiKeyStore>().CreateAsync(Roles.Admin, description: "benchmark", ct: ct);
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        return client;
    }

    /// <summary>For diagnosis only: drops every hosted service but Kestrel's (projection engine,
    /// job workers, Stripe emulator, ...), so a run shows what they cost the request path.</summary>
    public static void WithoutBackgroundServices(WebApplicationBuilder builder) => Without(builder, d => d.ImplementationType?.Name != "GenericWebHostService");

    /// <summary>For diagnosis only: drops the hosted services named (their class names, e.g.
    /// <c>ProjectionDaemonService</c>, <c>JobWorkerService</c>), to split what each costs.</summary>
    public static Action<WebApplicationBuilder> WithoutServices(IReadOnlyCollection<string> names) =>
        builder => Without(builder, d => d.ImplementationType?.Name is { } name && names.Contains(name));

    private static void Without(WebApplicationBuilder builder, Func<ServiceDescriptor, bool> drop)
    {
        var background = builder.Services.Where(d => d.ServiceType == typeof(IHostedService) && drop(d)).ToList();
        background.ForEach(d => builder.Services.Remove(d));
    }

    public HttpClient CreateClient() => new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}
