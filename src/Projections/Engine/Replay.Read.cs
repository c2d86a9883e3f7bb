using System.Threading.Channels;
using Billing.Ledger.EventStore;
using Npgsql;

namespace Billing.Projections.Engine;

/// <summary>A page of events in commit order, with the positions it spans.</summary>
internal sealed record ReplayPage(IReadOnlyList<ProjectedEvent> Events, long First, long Last);

internal sealed partial class Replay
{
    // Events per parallel work item: large enough to amortise scheduling, small enough to balance.
    private const int DeserialiseChunk = 2_048;

    private async IAsyncEnumerable<ReplayPage> PageAsync(LogQuery query, NpgsqlConnection connection, NpgsqlTransaction tx, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        while (true)
        {
            var events = await _log.ReadAsync(query, connection, tx, ct);
            if (events.Count > 0)
            {
                yield return new ReplayPage(events.Select(ProjectedEvent.From).ToList(), events[0].GlobalPosition, events[^1].GlobalPosition);
            }

            if (events.Count < query.Limit)
            {
                yield break;
            }

            query = query with { After = events[^1].GlobalPosition };
        }
    }

    /// <summary>Three stages joined by small bounded channels: one task streams raw rows (JSON
    /// still text) into pages; one deserialises each page, spreading it over the cores but
    /// keeping every event at its index, so pages stay in commit order and keep their
    /// boundaries; the caller writes. Reading the next page, deserialising and writing overlap.</summary>
    private async IAsyncEnumerable<ReplayPage> StreamAsync(LogQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var raw = Channel.CreateBounded<List<StoredEventRow>>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var pages = Channel.CreateBounded<ReplayPage>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = Task.Run(() => ReadRawAsync(raw.Writer, query, reading.Token), CancellationToken.None);
        var deserialiser = Task.Run(() => DeserialiseAsync(raw.Reader, pages.Writer, reading.Token), CancellationToken.None);
        try
        {
            await foreach (var page in pages.Reader.ReadAllAsync(ct))
            {
                yield return page;
            }
        }
        finally
        {
            // The consumer stopped (done, failed or cancelled): stop both stages and wait for
            // them, so no query outlives the replay. Their own failures reached us through the channels.
            await reading.CancelAsync();
            await Task.WhenAll(reader, deserialiser);
        }
    }

    /// <summary>Never throws: a failure completes the channel with it, and the next stage passes it on.</summary>
    private async Task ReadRawAsync(ChannelWriter<List<StoredEventRow>> pages, LogQuery query, CancellationToken ct)
    {
        try
        {
            await using var command = _log.CreateCommand(query with { Limit = int.MaxValue }, null, null);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var page = new List<StoredEventRow>(query.Limit);
            while (await reader.ReadAsync(ct))
            {
                page.Add(Billing.Ledger.EventStore.EventStore.ReadRow(reader));
                if (page.Count == query.Limit)
                {
                    await pages.WriteAsync(page, ct);
                    page = new List<StoredEventRow>(query.Limit);
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

    /// <summary>Never throws, like <see cref="ReadRawAsync"/>.</summary>
    private async Task DeserialiseAsync(ChannelReader<List<StoredEventRow>> raw, ChannelWriter<ReplayPage> pages, CancellationToken ct)
    {
        try
        {
            await foreach (var rows in raw.ReadAllAsync(ct))
            {
                await pages.WriteAsync(Deserialise(rows, ct), ct);
            }

            pages.TryComplete();
        }
        catch (AggregateException ex)
        {
            // Parallel.For collects every failing chunk's exception; pass on one, as a serial loop would.
            pages.TryComplete(ex.InnerExceptions[0]);
        }
        catch (Exception ex)
        {
            pages.TryComplete(ex);
        }
    }

    private ReplayPage Deserialise(List<StoredEventRow> rows, CancellationToken ct)
    {
        var events = new ProjectedEvent[rows.Count];
        var chunks = (rows.Count + DeserialiseChunk - 1) / DeserialiseChunk;
        Parallel.For(0, chunks, new ParallelOptions { CancellationToken = ct }, chunk =>
        {
            var end = Math.Min(rows.Count, (chunk + 1) * DeserialiseChunk);
            for (var i = chunk * DeserialiseChunk; i < end; i++)
            {
                events[i] = ProjectedEvent.From(_log.Materialize(rows[i]));
            }
        });
        return new ReplayPage(events, rows[0].GlobalPosition, rows[^1].GlobalPosition);
    }
}
