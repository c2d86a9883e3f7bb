using Billing.Ledger.EventStore;
using Billing.Projections.Engine;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Billing.Projections.Daemon;

internal sealed partial class ProjectionAgent
{
    private const string PauseSql = "UPDATE ledger.projection_state SET state = 'paused', paused_reason = $2 WHERE name = $1";

    /// <summary>What a step left to do.</summary>
    private enum Step
    {
        /// <summary>Nothing new to read (or the projection is paused).</summary>
        Idle,

        /// <summary>Applied a page that reached the settled end of the log.</summary>
        CaughtUp,

        /// <summary>Applied a full page (or isolated a failing one): read on at once.</summary>
        More,
    }

    private enum Outcome
    {
        Applied,
        Fenced,
        Poison,
    }

    /// <summary>Applies the next page.</summary>
    private async Task<Step> StepAsync(CancellationToken ct)
    {
        var progress = await ProjectionStateStore.LoadAsync(DataSource, Name, ct);
        if (progress.Paused)
        {
            return Step.Idle;
        }

        // Read only up to a settled position, in position order (see LogFence). When the page is
        // not full it holds every handled event up to that position, so the checkpoint moves to
        // it and a projection of rare event types does not appear to lag behind the whole log.
        var settled = await LogFence.SettledAsync(DataSource, ct, logger);
        if (settled <= progress.Checkpoint)
        {
            return Step.Idle;
        }

        var page = await _log.ReadAsync(new LogQuery(progress.Checkpoint, options.PageSize, settled, registration.Projection.EventTypes, WithData: registration.Projection.ReadsEventData), null, null, ct);
        var next = page.Count == options.PageSize ? page[^1].GlobalPosition : settled;
        var events = page.Select(ProjectedEvent.From).ToList();
        try
        {
            var commands = Projector.Commands(registration.Projection, events, TableTarget.Live);
            var applied = await CommitAsync(progress, commands, next, extra: null, ct);
            // Refused (someone else moved the checkpoint) or a full page: look again at once.
            return !applied || page.Count == options.PageSize ? Step.More : Step.CaughtUp;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !Projector.IsTransient(ex))
        {
            logger.LogWarning(ex, "Projection {Projection} failed a page after {Checkpoint}; applying it event by event", Name, progress.Checkpoint);
            return await ApplyOneByOneAsync(progress, events, next, ct) ? Step.More : Step.Idle;
        }
    }

    /// <summary>Isolates the failing event of a page: each event commits with its own
    /// checkpoint, so whatever happens to the poison event, the others apply exactly once.</summary>
    private async Task<bool> ApplyOneByOneAsync(ProjectionProgress progress, IReadOnlyList<ProjectedEvent> events, long next, CancellationToken ct)
    {
        foreach (var e in events)
        {
            var position = e.Position!.Value.GlobalPosition;
            var (outcome, error, attempts) = await TryEventAsync(progress, e, ct);
            if (outcome == Outcome.Fenced)
            {
                return true;
            }

            if (outcome == Outcome.Poison)
            {
                var deadLetter = DeadLetterStore.Record(Name, e, error!, attempts);
                logger.LogError(error, "Projection {Projection} dead-lettered event {EventId} at {Position} after {Attempts} attempts ({Policy})", Name, e.EventId, position, attempts, registration.OnPoison);
                if (registration.OnPoison == PoisonEventPolicy.Pause)
                {
                    var pause = new NpgsqlBatchCommand(PauseSql) { Parameters = { ProjectionStateStore.Text(Name), ProjectionStateStore.Text($"event {e.EventId} at {position} failed: {error!.Message}") } };
                    await CommitAsync(progress, [deadLetter, pause], next: null, extra: null, ct);
                    return false;
                }

                if (!await CommitAsync(progress, [], position, deadLetter, ct))
                {
                    return true;
                }
            }

            progress = progress with { Checkpoint = position };
        }

        if (next > progress.Checkpoint)
        {
            await CommitAsync(progress, [], next, extra: null, ct);
        }

        return true;
    }

    private async Task<(Outcome Outcome, Exception? Error, int Attempts)> TryEventAsync(ProjectionProgress progress, ProjectedEvent e, CancellationToken ct)
    {
        Exception? last = null;
        for (var attempt = 1; attempt <= registration.MaxAttempts; attempt++)
        {
            try
            {
                var commands = Projector.Commands(registration.Projection, [e], TableTarget.Live);
                return (await CommitAsync(progress, commands, e.Position!.Value.GlobalPosition, extra: null, ct) ? Outcome.Applied : Outcome.Fenced, null, attempt);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !Projector.IsTransient(ex))
            {
                last = ex;
            }
        }

        return (Outcome.Poison, last, registration.MaxAttempts);
    }

    /// <summary>Commits read-model commands with the new checkpoint, after locking the state row
    /// and checking it is still what this page was planned against. False: someone else moved
    /// it (another leader, a rebuild swap, a pause); nothing was written.</summary>
    private async Task<bool> CommitAsync(ProjectionProgress planned, IEnumerable<NpgsqlBatchCommand> commands, long? next, NpgsqlBatchCommand? extra, CancellationToken ct)
    {
        await using var connection = await DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var current = await ProjectionStateStore.LockAsync(connection, tx, Name, ct);
        if (current != planned)
        {
            return false;
        }

        var all = commands.ToList();
        if (extra is not null)
        {
            all.Add(extra);
        }

        if (next is { } position)
        {
            all.Add(ProjectionStateStore.Advance(Name, position));
            all.Add(ProjectionStateStore.ResolveRequeued(Name, position));
        }

        await Projector.ExecuteAsync(connection, tx, all, ct);
        await tx.CommitAsync(ct);
        return true;
    }
}
