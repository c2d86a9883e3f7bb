using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace Billing.Ledger.Jobs;

/// <summary>Settings for the Host's job workers (section <c>Jobs</c> when bound from configuration).</summary>
public sealed class JobQueueOptions
{
    /// <summary>Workers in this process (0 = enqueue only, e.g. a CLI).</summary>
    public int Workers { get; set; } = 2;

    public JobWorkerOptions Worker { get; set; } = new();
}

public static class JobServiceCollectionExtensions
{
    /// <summary>Registers <see cref="JobQueue"/>, the wake-up signal and the hosted service that
    /// runs the workers. Needs an <see cref="NpgsqlDataSource"/>; uses the registered
    /// <see cref="TimeProvider"/> (the system clock when none). Handlers are added with
    /// <see cref="AddJobHandler{THandler}"/>.</summary>
    public static IServiceCollection AddJobQueue(this IServiceCollection services, Action<JobQueueOptions>? configure = null)
    {
        var options = new JobQueueOptions();
        configure?.Invoke(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(options);
        services.TryAddSingleton(sp => new JobSignal(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new JobQueue(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, JobWorkerService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Billing.Ledger.Observability.IJobQueueProbe, JobQueueProbe>());
        return services;
    }

    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services)
        where THandler : class, IJobHandler
    {
        services.AddSingleton<IJobHandler, THandler>();
        return services;
    }
}
