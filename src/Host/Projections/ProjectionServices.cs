using System.Globalization;
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
        services.TryAddSingleton(_ => DaemonOptions(configuration));
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

    /// <summary>The daemon's settings: <c>Projections:NodeId</c> (this process in
    /// <c>ledger.projection_state.owner_node</c>) and <c>Projections:CatchUpIntervalMs</c> (how
    /// soon a caught-up agent reads again while events keep arriving; docs/architecture.md
    /// "Pacing"). Anything unset keeps <see cref="ProjectionDaemonOptions"/>' default.</summary>
    public static ProjectionDaemonOptions DaemonOptions(IConfiguration configuration)
    {
        var defaults = new ProjectionDaemonOptions();
        var interval = defaults.CatchUpInterval;
        if (configuration["Projections:CatchUpIntervalMs"] is { Length: > 0 } text)
        {
            // No sign allowed: a negative interval is as wrong as a non-number.
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                throw new InvalidOperationException($"Projections:CatchUpIntervalMs must be a whole number of milliseconds (0 or more), not '{text}'.");
            }

            interval = TimeSpan.FromMilliseconds(ms);
        }

        return defaults with { NodeId = configuration["Projections:NodeId"] ?? defaults.NodeId, CatchUpInterval = interval };
    }
}

/// <summary>Runs the daemon for the Host's lifetime; stopping the Host releases its leases.</summary>
internal sealed class ProjectionDaemonService(ProjectionDaemon daemon) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => daemon.RunAsync(stoppingToken);
}
