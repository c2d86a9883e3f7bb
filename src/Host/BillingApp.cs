using System.Reflection;
using Billing.Host.Auth;
using Billing.Host.Collection;
using Billing.Host.Database;
using Billing.Host.Health;
using Billing.Host.Invoices;
using Billing.Host.Metrics;
using Billing.Host.StripeSetup;
using Billing.Host.Webhooks;
using Billing.Host.Projections;
using Billing.Ledger.EventStore;
using Billing.Ledger.Jobs;
using Billing.Ledger.Observability;
using Billing.Ledger.Postgres;
using Npgsql;

namespace Billing.Host;

/// <summary>Builds the web application: one place where every area registers its services
/// and maps its endpoints.</summary>
public static partial class BillingApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Assemblies that carry migrations and event types.</summary>
    public static IReadOnlyList<Assembly> Assemblies { get; } =
    [
        typeof(EventStore).Assembly,
        typeof(Billing.Projections.ProjectionsAssembly).Assembly,
        typeof(BillingApp).Assembly,
    ];

    /// <param name="configure">Last say over services before the app is built (tests swap the
    /// clock or authentication; the demo installs its adjustable clock).</param>
    public static async Task<WebApplication> BuildAsync(string[] args, CancellationToken ct = default, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (builder.Configuration["urls"] is null && builder.Configuration["ASPNETCORE_URLS"] is null)
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var connectionString = LedgerDatabase.ConfiguredConnectionString(builder.Configuration);
        var embedded = connectionString is null;
        EmbeddedPostgres? server = null;
        if (connectionString is null)
        {
            (server, connectionString) = await LedgerDatabase.StartEmbeddedAsync(builder.Configuration, ct);

            // Registered through a factory so the container disposes it: a server this process
            // started is stopped even when the app never started or crashed; an adopted one (a
            // running Host's, when a CLI command builds the app) is left running. The lifetime
            // service stops it explicitly when a serving Host stops, owning an adopted orphan too.
            builder.Services.AddSingleton(_ => server);
            builder.Services.AddHostedService<EmbeddedPostgresLifetime>();
        }

        try
        {
            return await BuildOnAsync(builder, connectionString, embedded, configure, ct);
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            throw;
        }
    }

    private static async Task<WebApplication> BuildOnAsync(WebApplicationBuilder builder, string connectionString, bool embedded, Action<WebApplicationBuilder>? configure, CancellationToken ct)
    {
        AddLedger(builder.Services, connectionString);
        AddOperatorSurface(builder);
        builder.Services.AddInvoicing(builder.Configuration);
        await builder.AddStripeAsync(ct);
        builder.Services.AddProjectionEngine(builder.Configuration);
        builder.Services.AddCollection(builder.Configuration);
        configure?.Invoke(builder);
        var app = builder.Build();

        // Listening before anything is measured: counters added earlier would be lost.
        app.Services.GetRequiredService<PrometheusExporter>();
        await app.Services.GetRequiredService<Migrator>().ApplyAsync(ct);
        await app.Services.GetRequiredService<Billing.Projections.ReadModelSchema>().EnsureAsync(ct);
        await ApiKeyBootstrap.RunAsync(app.Services.GetRequiredService<ApiKeyStore>(), app.Configuration, embedded, app.Logger, ct);
        LogStartup(app);

        UseOperatorPipeline(app);
        MapEndpoints(app);
        return app;
    }

    /// <summary>Every area maps its endpoints here (one <c>MapXxxEndpoints</c> line each), then
    /// any <see cref="IEndpointModule"/> registered in services.</summary>
    private static void MapEndpoints(WebApplication app)
    {
        app.MapHealthEndpoints();
        app.MapApiKeyEndpoints();
        app.MapMetricsEndpoints(app.Configuration);
        app.MapInvoicing();
        app.MapStripeWebhookEndpoints();
        app.MapProjectionEndpoints();
        app.MapCollection();
        foreach (var module in app.Services.GetServices<IEndpointModule>())
        {
            module.Map(app);
        }
    }

    /// <summary>Lets Npgsql prepare the statements a connection runs repeatedly (LRU of 256 per
    /// physical connection, after 3 uses) unless the connection string sets Max Auto Prepare: a unit of
    /// work carrying its caller's commands (job enqueues, receipts, inline projection writes) is
    /// not prepared explicitly, so without this every such statement is parsed and planned on
    /// every execution.</summary>
    internal static string AutoPrepared(string connectionString)
    {
        // An explicit setting wins, 0 included (e.g. behind a pooler that cannot keep prepared
        // statements).
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.Keys.Cast<string>().Any(k => k.Replace(" ", "", StringComparison.Ordinal).Equals("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase)))
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 256, AutoPrepareMinUsages = 3 }.ConnectionString;
    }

    public static void AddLedger(IServiceCollection services, string connectionString)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ICorrelationContext, AmbientCorrelationContext>();
        services.AddSingleton<BillingMetrics>();
        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(AutoPrepared(connectionString)) { Name = "ledger" }.Build());
        services.AddSingleton(_ =>
        {
            var registry = new EventTypeRegistry();
            foreach (var assembly in Assemblies)
            {
                registry.RegisterAssembly(assembly);
            }

            return registry;
        });
        services.AddSingleton(sp => new Migrator(sp.GetRequiredService<NpgsqlDataSource>(), Assemblies));
        services.AddSingleton(sp => new EventStore(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<EventTypeRegistry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetServices<IInlineProjection>(),
            sp.GetRequiredService<BillingMetrics>()));
        services.AddJobQueue();
    }
}

/// <summary>A set of endpoints mapped from services (tests add probe endpoints this way).</summary>
public interface IEndpointModule
{
    void Map(IEndpointRouteBuilder routes);
}
