using Billing.Ledger.EventStore;
using Npgsql;

namespace Billing.Projections.Engine;

/// <summary>Replays a range of the log through a projection into shadow or temporary tables:
/// each page becomes one batch (one round trip), and the next page is read and deserialised on
/// another connection while this one is written.</summary>
internal sealed class Replay(EventStore store, IProjection projection)
{
    private readonly LogReader _log = new(store);

    /// <summary>Replays from <paramref name="query"/>'s start until a page comes back short.
    /// Writes go through <paramref name="writer"/> (in <paramref name="tx"/> when given, else
    /// each page commits on its own). Returns the last position replayed and the event count.</summary>
    public async Task<(long Last, long Count)> RunAsync(NpgsqlConnection writer, NpgsqlTransaction? tx, TableTarget target, LogQuery query, Func<long, Task>? onPage, CancellationToken ct)
    {
        var last = query.After;
        long count = 0;
        // Reads inside the caller's transaction (a final catch-up under lock) cannot overlap
        // with writes on the same connection; otherwise they run ahead on a pooled connection.
        var readConnection = tx is null ? null : writer;
        Task<IReadOnlyList<RecordedEvent>>? pending = _log.ReadAsync(query, readConnection, tx, ct);
        while (pending is not null)
        {
            var events = await pending;
            pending = null;
            if (events.Count == 0)
            {
                break;
            }

            last = events[^1].GlobalPosition;
            if (events.Count == query.Limit && tx is null)
            {
                pending = _log.ReadAsync(query with { After = last }, null, null, ct);
            }

            await WriteAsync(writer, tx, target, events, ct);
            count += events.Count;
            if (onPage is not null)
            {
                await onPage(count);
            }
            if (events.Count == query.Limit && tx is not null)
            {
                pending = _log.ReadAsync(query with { After = last }, readConnection, tx, ct);
            }
        }

        return (last, count);
    }

    private async Task WriteAsync(NpgsqlConnection writer, NpgsqlTransaction? tx, TableTarget target, IReadOnlyList<RecordedEvent> events, CancellationToken ct)
    {
        var projected = new List<ProjectedEvent>(events.Count);
        foreach (var e in events)
        {
            projected.Add(ProjectedEvent.From(e));
        }

        try
        {
            await Projector.ExecuteAsync(writer, tx, Projector.Commands(projection, projected, target), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !Projector.IsTransient(ex))
        {
            throw new ReplayFailedException(projection.Name, events[0].GlobalPosition, events[^1].GlobalPosition, ex);
        }
    }
}

/// <summary>A rebuild or as-of build met an event the projection cannot apply; nothing was swapped.</summary>
public sealed class ReplayFailedException(string projection, long from, long to, Exception inner)
    : Exception($"Projection '{projection}' failed to apply the page {from}..{to}: {inner.Message}", inner)
{
    public string Projection { get; } = projection;

    public long From { get; } = from;

    public long To { get; } = to;
}
