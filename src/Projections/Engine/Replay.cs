using System.Threading.Channels;
using Billing.Ledger.EventStore;
using Npgsql;

namespace Billing.Projections.Engine;

/// <summary>Replays a range of the log through a projection into shadow or temporary tables.
/// Outside a transaction, one streaming query reads and deserialises the range on its own
/// connection while pages (one batch, one round trip each) are written on another, so reading
/// and writing overlap. Inside a transaction (a final catch-up under lock) it pages on the
/// caller's connection.</summary>
internal sealed class Replay(EventStore store, IProjection projection)
{
    private readonly LogReader _log = new(store);

    /// <summary>Replays everything <paramref name="query"/> selects, in pages of its limit.
    /// Returns the last position replayed (the query's start if none) and the event count.</summary>
    public async Task<(long Last, long Count)> RunAsync(NpgsqlConnection writer, NpgsqlTransaction? tx, TableTarget target, LogQuery query, Func<long, Task>? onPage, CancellationToken ct)
    {
        var last = query.After;
        long count = 0;
        await foreach (var events in tx is null ? StreamAsync(query, ct) : PageAsync(query, writer, tx, ct))
        {
            await WriteAsync(writer, tx, target, events, ct);
            last = events[^1].GlobalPosition;
            count += events.Count;
            if (onPage is not null)
            {
                await onPage(count);
            }
        }

        return (last, count);
    }

    private async IAsyncEnumerable<IReadOnlyList<RecordedEvent>> PageAsync(LogQuery query, NpgsqlConnection connection, NpgsqlTransaction tx, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        while (true)
        {
            var events = await _log.ReadAsync(query, connection, tx, ct);
            if (events.Count > 0)
            {
                yield return events;
            }

            if (events.Count < query.Limit)
            {
                yield break;
            }

            query = query with { After = events[^1].GlobalPosition };
        }
    }

    private async IAsyncEnumerable<IReadOnlyList<RecordedEvent>> StreamAsync(LogQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var pages = Channel.CreateBounded<List<RecordedEvent>>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producer = Task.Run(() => ProduceAsync(pages.Writer, query, reading.Token), CancellationToken.None);
        try
        {
            await foreach (var page in pages.Reader.ReadAllAsync(ct))
            {
                yield return page;
            }
        }
        finally
        {
            // The consumer stopped (done, failed or cancelled): stop the reader and wait for it,
            // so no query outlives the replay. Its own failure reached us through the channel.
            await reading.CancelAsync();
            await producer;
        }
    }

    /// <summary>Never throws: a failure completes the channel with it, and the consumer rethrows it.</summary>
    private async Task ProduceAsync(ChannelWriter<List<RecordedEvent>> pages, LogQuery query, CancellationToken ct)
    {
        try
        {
            await using var command = _log.CreateCommand(query with { Limit = int.MaxValue }, null, null);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var page = new List<RecordedEvent>(query.Limit);
            while (await reader.ReadAsync(ct))
            {
                page.Add(_log.Materialize(reader));
                if (page.Count == query.Limit)
                {
                    await pages.WriteAsync(page, ct);
                    page = new List<RecordedEvent>(query.Limit);
                }
            }

            if (page.Count > 0)
            {
                await pages.WriteAsync(page, ct);
            }

            pages.TryComplete();
        }
        catch (Exception ex)
        {
            pages.TryComplete(ex);
        }
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
