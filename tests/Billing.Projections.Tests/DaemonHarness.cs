using Billing.Ledger.EventStore;
using Billing.Projections.Daemon;
using Billing.Testing;
using Microsoft.Extensions.Logging;

namespace Billing.Projections.Tests;

/// <summary>A daemon running in the background of a test, stopped on dispose.</summary>
public sealed class RunningDaemon : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    private RunningDaemon(ProjectionDaemon daemon)
    {
        Daemon = daemon;
        _run = daemon.RunAsync(_stop.Token);
    }

    public ProjectionDaemon Daemon { get; }

    public static RunningDaemon Start(EventStore store, ProjectionCatalog catalog, string node, int pageSize = 50) =>
        Start(store, catalog, Fast(node, pageSize));

    public static RunningDaemon Start(EventStore store, ProjectionCatalog catalog, ProjectionDaemonOptions options) =>
        new(new ProjectionDaemon(store, catalog, options, Logs.CreateLogger<ProjectionDaemon>()));

    public static ProjectionDaemonOptions Fast(string node, int pageSize = 50) => new()
    {
        NodeId = node,
        PageSize = pageSize,
        PollInterval = TimeSpan.FromMilliseconds(200),
        LeaseRetryInterval = TimeSpan.FromMilliseconds(100),
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        FailureBackoff = TimeSpan.FromMilliseconds(100),
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }
}

public static class Logs
{
    private static readonly ILoggerFactory Factory = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));

    public static ILogger<T> CreateLogger<T>() => Factory.CreateLogger<T>();
}

public static class Eventually
{
    /// <summary>Polls until the condition holds, failing the test after the deadline.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 20) =>
        Poll.UntilAsync(condition, done => done, TimeSpan.FromSeconds(seconds), what);

    /// <summary>Waits until no committed event lies after the projection's checkpoint.</summary>
    public static Task CaughtUpAsync(DatabaseFixture db, EventStore store, ProjectionCatalog catalog, string projection) =>
        UntilAsync(async () => await db.ScalarAsync<long>("""
            SELECT count(*) FROM ledger.events e, ledger.projection_state s
             WHERE s.name = $1 AND e.global_position > s.checkpoint_position
            """, projection) == 0 && (await new ProjectionStatusReader(store, catalog).ReadAsync(projection)).LagEvents == 0, $"{projection} caught up");

}
