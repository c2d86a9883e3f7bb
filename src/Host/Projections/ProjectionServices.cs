using Billing.Projections;
using Billing.Projections.Daemon;
using Billing.Projections.StreamActivity;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Billing.Host.Projections;

/// <summary>Registers the projection engine: catalog, daemon (a hosted service on every Host;
/// leases decide which Host runs which projection), status reader, rebuilds, as-of, dead letters.</summary>
public static class ProjectionServices
{
    public static IServiceCollection AddProjectionEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddProjection(new StreamActivityProjection(), ProjectionMode.Async);
        services.TryAddSingleton(sp => new ProjectionCatalog(sp.GetServices<ProjectionRegistration>()));
        services.TryAddSingleton(_ => new ProjectionDaemonOptions
        {
            NodeId = configuration["Projections:NodeId"] ?? new ProjectionDaemonOptions().NodeId,
        });
        services.TryAddSingleton<ReadModelSchema>();
        services.TryAddSingleton<ProjectionStatusReader>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Billing.Ledger.Observability.IProjectionHealthProbe, ProjectionHealthProbe>());
        services.TryAddSingleton<DeadLetterStore>();
        services.TryAddSingleton<AsOfBuilder>();
        services.TryAddSingleton(sp => new ProjectionRebuilder(
            sp.GetRequiredService<Billing.Ledger.EventStore.EventStore>(),
            sp.GetRequiredService<ProjectionCatalog>(),
            sp.GetRequiredService<ProjectionDaemonOptions>().NodeId));
        services.TryAddSingleton<ProjectionDaemon>();
        if (!string.Equals(configuration["Projections:Daemon"], "off", StringComparison.OrdinalIgnoreCase))
        {
            services.AddHostedService<ProjectionDaemonService>();
        }

        return services;
    }
}

/// <summary>Runs the daemon for the Host's lifetime; stopping the Host releases its leases.</summary>
internal sealed class ProjectionDaemonService(ProjectionDaemon daemon) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => daemon.RunAsync(stoppingToken);
}
