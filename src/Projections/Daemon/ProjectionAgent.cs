using System.Diagnostics;
using Billing.Ledger.EventStore;
using Billing.Projections.Engine;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Billing.Projections.Daemon;

/// <summary>Keeps one async projection current while this process leads it. Follower: tries
/// the lease every <see cref="ProjectionDaemonOptions.LeaseRetryInterval"/>. Leader: applies
/// pages until caught up, sleeps until woken or the poll interval passes, and proves its lease
/// on every heartbeat; losing the lease cancels the leader's work at once.</summary>
internal sealed partial class ProjectionAgent(EventStore store, ProjectionRegistration registration, ProjectionDaemonOptions options, ILogger logger) : IDisposable
{
    private const string ClaimSql = "UPDATE ledger.projection_state SET owner_node = $2, heartbeat_at = now() WHERE name = $1";

    private const string ReleaseSql = "UPDATE ledger.projection_state SET owner_node = NULL, heartbeat_at = NULL WHERE name = $1 AND owner_node = $2";

    private readonly WakeSignal _wake = new();
    private readonly LogReader _log = new(store);

    private NpgsqlDataSource DataSource => store.DataSource;

    private string Name => registration.Name;

    public void Wake() => _wake.Set();

    public void Dispose() => _wake.Dispose();

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var lease = await ProjectionLease.TryAcquireAsync(DataSource, ProjectionLease.LeaseClass, Name, ct);
                if (lease is null)
                {
                    await SleepAsync(options.LeaseRetryInterval, ct);
                    continue;
                }

                await LeadAsync(lease, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (Projector.IsTransient(ex))
            {
                logger.LogWarning(ex, "Projection {Projection} on {Node} hit a transient failure; retrying", Name, options.NodeId);
                await SleepAsync(options.FailureBackoff, ct);
            }
            catch (Exception ex)
            {
                // Poison events are handled per event (dead letters); reaching here is a fault of
                // the engine or the schema. Keep the process up, say so loudly, try again later.
                logger.LogError(ex, "Projection {Projection} on {Node} failed; retrying after a pause", Name, options.NodeId);
                await SleepAsync(options.FailureBackoff * 10, ct);
            }
        }
    }

    private async Task LeadAsync(ProjectionLease lease, CancellationToken ct)
    {
        await ExecuteAsync(lease.Connection, ClaimSql, ct);
        logger.LogInformation("Node {Node} leads projection {Projection}", options.NodeId, Name);
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = HeartbeatAsync(lease, leading);
        try
        {
            await CatchUpForeverAsync(leading.Token);
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Node {Node} lost the lease of projection {Projection}; stepping down", options.NodeId, Name);
        }
        finally
        {
            await leading.CancelAsync();
            await heartbeat;
        }

        if (lease.Connection.State == System.Data.ConnectionState.Open && !ct.IsCancellationRequested)
        {
            await ExecuteAsync(lease.Connection, ReleaseSql, ct);
        }
    }

    /// <summary>Full pages back to back; once caught up, waits for a wake-up (a commit's
    /// notification or the poll interval), and after a page that caught up with arriving events
    /// lets at least <see cref="ProjectionDaemonOptions.CatchUpInterval"/> pass since it started.</summary>
    private async Task CatchUpForeverAsync(CancellationToken ct)
    {
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            var step = await StepAsync(ct);
            ct.ThrowIfCancellationRequested();
            if (step == Step.More)
            {
                continue;
            }

            if (step == Step.CaughtUp && options.CatchUpInterval - Stopwatch.GetElapsedTime(started) is { Ticks: > 0 } rest)
            {
                await Task.Delay(rest, ct);
            }

            await _wake.WaitAsync(options.PollInterval, ct);
        }
    }

    /// <summary>Stamps the heartbeat through the lease connection itself: if that connection is
    /// gone the lock is gone too, and the leader must stop before a follower takes over.</summary>
    private async Task HeartbeatAsync(ProjectionLease lease, CancellationTokenSource leading)
    {
        try
        {
            while (!leading.IsCancellationRequested)
            {
                await Task.Delay(options.HeartbeatInterval, leading.Token);
                if (!await lease.IsHeldAsync(leading.Token))
                {
                    break;
                }

                await ExecuteAsync(lease.Connection, ClaimSql, leading.Token);
            }
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (Projector.IsTransient(ex))
        {
            logger.LogWarning(ex, "Lease connection of projection {Projection} failed", Name);
        }

        await leading.CancelAsync();
    }

    private async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(ProjectionStateStore.Text(Name));
        command.Parameters.Add(ProjectionStateStore.Text(options.NodeId));
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Sleeps, returning early (without throwing) when cancelled.</summary>
    internal static async Task SleepAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
    }
}
