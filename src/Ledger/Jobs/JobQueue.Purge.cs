using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Jobs;

/// <summary>Completed jobs of one type that a purge removed (or, in a dry run, would remove).</summary>
public sealed record PurgedJobs(string Type, long Count, DateTimeOffset OldestCompletedAt);

public sealed partial class JobQueue
{
    /// <summary>Rows per <c>DELETE</c> of a purge: each batch is its own short transaction, so a
    /// purge of millions of rows never holds a long transaction or blocks the workers.</summary>
    public const int DefaultPurgeBatchSize = 5_000;

    private const string CompletedBeforeSql = """
        SELECT type, count(*), min(completed_at) FROM ledger.jobs
         WHERE state = 'completed' AND completed_at < $1
         GROUP BY type ORDER BY type
        """;

    // A completed job never changes state again (only dead jobs are re-queued), so the rows the
    // subquery picks are still completed when the DELETE reaches them.
    private const string DeleteCompletedSql = """
        WITH deleted AS (
            DELETE FROM ledger.jobs j
             WHERE j.id IN (SELECT id FROM ledger.jobs WHERE state = 'completed' AND completed_at < $1 ORDER BY id LIMIT $2)
            RETURNING j.type, j.completed_at)
        SELECT type, count(*), min(completed_at) FROM deleted GROUP BY type
        """;

    /// <summary><c>billing jobs purge</c>: removes jobs that completed more than
    /// <paramref name="olderThan"/> ago, per type. A dry run (<paramref name="confirm"/> false)
    /// only counts. Pending, running and dead jobs are never touched: dead letters wait for a
    /// person. A purged job's dedupe key can be used again (docs/jobs.md "Retention").</summary>
    public async Task<IReadOnlyList<PurgedJobs>> PurgeCompletedAsync(TimeSpan olderThan, bool confirm, CancellationToken ct, int batchSize = DefaultPurgeBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(olderThan, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var before = _clock.GetUtcNow() - olderThan;
        return confirm ? await DeleteCompletedAsync(before, batchSize, ct) : await CountCompletedAsync(before, ct);
    }

    private async Task<IReadOnlyList<PurgedJobs>> CountCompletedAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(CompletedBeforeSql);
        command.Parameters.Add(At(before));
        return await ReadPerTypeAsync(command, ct);
    }

    private async Task<IReadOnlyList<PurgedJobs>> DeleteCompletedAsync(DateTimeOffset before, int batchSize, CancellationToken ct)
    {
        var deleted = new Dictionary<string, PurgedJobs>(StringComparer.Ordinal);
        long rows;
        do
        {
            await using var command = dataSource.CreateCommand(DeleteCompletedSql);
            command.Parameters.Add(At(before));
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
            var batch = await ReadPerTypeAsync(command, ct);
            rows = batch.Sum(b => b.Count);
            foreach (var b in batch)
            {
                deleted[b.Type] = deleted.TryGetValue(b.Type, out var sum)
                    ? new PurgedJobs(b.Type, sum.Count + b.Count, b.OldestCompletedAt < sum.OldestCompletedAt ? b.OldestCompletedAt : sum.OldestCompletedAt)
                    : b;
            }
        }
        while (rows == batchSize);

        return [.. deleted.Values.OrderBy(d => d.Type, StringComparer.Ordinal)];
    }

    /// <summary>Rows of (type, count, oldest completed_at).</summary>
    private static async Task<IReadOnlyList<PurgedJobs>> ReadPerTypeAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var perType = new List<PurgedJobs>();
        while (await reader.ReadAsync(ct))
        {
            perType.Add(new PurgedJobs(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return perType;
    }

    private static NpgsqlParameter<DateTimeOffset> At(DateTimeOffset at) => new() { TypedValue = at, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
