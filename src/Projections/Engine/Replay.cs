using System.Diagnostics;
using Billing.Ledger.EventStore;
using Npgsql;

namespace Billing.Projections.Engine;

/// <summary>What a replay did; the two durations split the consumer's wall time between waiting
/// for the next page (reading and deserialising bound) and writing pages.</summary>
internal sealed record ReplayStats(long Last, long Count, TimeSpan WaitingForPages, TimeSpan Writing);

/// <summary>Replays a range of the log through a projection into shadow or temporary tables.
/// Outside a transaction a pipeline reads the range with one streaming query, deserialises pages
/// in parallel and hands them over in order, while pages are written on the writer's connection
/// (see Replay.Read.cs). Inside a transaction (a final catch-up under lock) it pages on the
/// caller's connection.</summary>
/// <param name="foldRowLimit">Above zero, and only when the target tables start empty: a
/// projection implementing <see cref="IBulkRebuildProjection"/> folds pages in memory and is
/// written by binary COPY; past this many rows the fold is copied and the rest is applied page
/// by page.</param>
internal sealed partial class Replay(EventStore store, IProjection projection, long foldRowLimit = 0)
{
    private readonly LogReader _log = new(store);

    /// <summary>Replays everything <paramref name="query"/> selects, in pages of its limit.
    /// <see cref="ReplayStats.Last"/> is the last position replayed (the query's start if none).</summary>
    public async Task<ReplayStats> RunAsync(NpgsqlConnection writer, NpgsqlTransaction? tx, TableTarget target, LogQuery query, Func<long, Task>? onPage, CancellationToken ct)
    {
        var last = query.After;
        long count = 0;
        var fold = foldRowLimit > 0 && projection is IBulkRebuildProjection bulk ? bulk.StartFold() : null;
        var waiting = new Stopwatch();
        var writing = new Stopwatch();
        var pages = (tx is null ? StreamAsync(query, ct) : PageAsync(query, writer, tx, ct)).GetAsyncEnumerator(ct);
        try
        {
            while (await Timed(waiting, pages.MoveNextAsync()))
            {
                var page = pages.Current;
                writing.Start();
                if (fold is null)
                {
                    await WriteAsync(writer, tx, target, page, ct);
                }
                else if (Fold(fold, page) > foldRowLimit)
                {
                    await CopyAsync(writer, target, fold, query.After, page.Last, ct);
                    fold = null;
                }

                writing.Stop();
                last = page.Last;
                count += page.Events.Count;
                if (onPage is not null)
                {
                    await onPage(count);
                }
            }

            if (fold is not null)
            {
                writing.Start();
                await CopyAsync(writer, target, fold, query.After, last, ct);
                writing.Stop();
            }
        }
        finally
        {
            await pages.DisposeAsync();
        }

        return new ReplayStats(last, count, waiting.Elapsed, writing.Elapsed);
    }

    private static async ValueTask<bool> Timed(Stopwatch clock, ValueTask<bool> next)
    {
        clock.Start();
        try
        {
            return await next;
        }
        finally
        {
            clock.Stop();
        }
    }

    private async Task WriteAsync(NpgsqlConnection writer, NpgsqlTransaction? tx, TableTarget target, ReplayPage page, CancellationToken ct)
    {
        try
        {
            await Projector.ExecuteAsync(writer, tx, Projector.Commands(projection, page.Events, target), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !Projector.IsTransient(ex))
        {
            throw new ReplayFailedException(projection.Name, page.First, page.Last, ex);
        }
    }

    private long Fold(IProjectionFold fold, ReplayPage page)
    {
        try
        {
            fold.Add(page.Events);
            return fold.Rows;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new ReplayFailedException(projection.Name, page.First, page.Last, ex);
        }
    }

    private async Task CopyAsync(NpgsqlConnection writer, TableTarget target, IProjectionFold fold, long after, long last, CancellationToken ct)
    {
        try
        {
            await fold.CopyToAsync(new BulkCopyTarget(writer, projection, target), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !Projector.IsTransient(ex))
        {
            throw new ReplayFailedException(projection.Name, after + 1, last, ex);
        }
    }
}
