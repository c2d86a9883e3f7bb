using Billing.Ledger.EventStore;
using Billing.Projections.Engine;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Billing.Projections.Daemon;

/// <summary>Runs this process's share of the async projections: one agent per projection,
/// each leading its projection only while it holds that projection's lease, all woken by one
/// <c>LISTEN ledger_events</c> connection and by polling. Run it on every Host; the leases
/// spread the projections so each runs on exactly one process at a time.</summary>
public sealed class ProjectionDaemon(EventStore store, ProjectionCatalog catalog, ProjectionDaemonOptions options, ILogger<ProjectionDaemon> logger)
{
    public const string Channel = "ledger_events";

    public string NodeId => options.NodeId;

    public ProjectionDaemonOptions Options => options;

    /// <summary>Runs until <paramref name="ct"/> is cancelled, then releases every lease.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var agents = catalog.All
            .Where(r => r.Mode == ProjectionMode.Async && (options.Only is null || options.Only.Contains(r.Name)))
            .Select(r => new ProjectionAgent(store, r, options, logger))
            .ToList();
        if (agents.Count == 0)
        {
            return;
        }

        try
        {
            await Task.WhenAll(agents.Select(a => a.RunAsync(ct)).Append(ListenAsync(agents, ct)));
        }
        finally
        {
            foreach (var agent in agents)
            {
                agent.Dispose();
            }
        }
    }

    private async Task ListenAsync(IReadOnlyList<ProjectionAgent> agents, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await store.DataSource.OpenConnectionAsync(ct);
                connection.Notification += (_, _) => WakeAll(agents);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(ct);
                }

                // Anything appended while (re)connecting was not notified to us: look now.
                WakeAll(agents);
                while (true)
                {
                    await connection.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (Projector.IsTransient(ex))
            {
                logger.LogWarning(ex, "Projection listener lost its connection; polling until it reconnects");
                await ProjectionAgent.SleepAsync(options.FailureBackoff, ct);
            }
        }
    }

    private static void WakeAll(IReadOnlyList<ProjectionAgent> agents)
    {
        foreach (var agent in agents)
        {
            agent.Wake();
        }
    }
}
