using System.Reflection;
using Billing.Host.Database;
using Billing.Host.Health;
using Billing.Host.Projections;
using Billing.Ledger.EventStore;
using Billing.Ledger.Postgres;
using Npgsql;

namespace Billing.Host;

/// <summary>Builds the web application: one place where every area registers its services
/// and maps its endpoints.</summary>
public static class BillingApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Assemblies that carry migrations and event types.</summary>
    public static IReadOnlyList<Assembly> Assemblies { get; } =
    [
        typeof(EventStore).Assembly,
        typeof(Billing.Projections.ProjectionsAssembly).Assembly,
        typeof(BillingApp).Assembly,
    ];

    public static async Task<WebApplication> BuildAsync(string[] args, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (builder.Configuration["urls"] is null && builder.Configuration["ASPNETCORE_URLS"] is null)
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var connectionString = LedgerDatabase.ConfiguredConnectionString(builder.Configuration);
        if (connectionString is null)
        {
            var (server, embedded) = await LedgerDatabase.StartEmbeddedAsync(builder.Configuration, ct);
            builder.Services.AddSingleton(server);
            builder.Services.AddHostedService<EmbeddedPostgresLifetime>();
            connectionString = embedded;
        }

        AddLedger(builder.Services, connectionString);
        builder.Services.AddProjectionEngine(builder.Configuration);
        var app = builder.Build();
        await app.Services.GetRequiredService<Migrator>().ApplyAsync(ct);
        await app.Services.GetRequiredService<Billing.Projections.ReadModelSchema>().EnsureAsync(ct);
        app.MapHealthEndpoints();
        app.MapProjectionEndpoints();
        return app;
    }

    public static void AddLedger(IServiceCollection services, string connectionString)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString) { Name = "ledger" }.Build());
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
            sp.GetServices<IInlineProjection>()));
    }
}
