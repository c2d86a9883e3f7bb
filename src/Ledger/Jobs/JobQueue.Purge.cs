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
        DELETE FROM ledger.jobs j
         WHERE j.id IN (SELECT id FROM ledger.jobs WHERE state = 'completed' AND completed_at < $1 ORDER BY id LIMIT $2)
        RETURNING j.type, j.completed_at
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
        await using var reader = await command.ExecuteReaderAsync(ct);
        var counts = new List<PurgedJobs>();
        while (await reader.ReadAsync(ct))
        {
            counts.Add(new PurgedJobs(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return counts;
    }

    private async Task<IReadOnlyList<PurgedJobs>> DeleteCompletedAsync(DateTimeOffset before, int batchSize, CancellationToken ct)
    {
        var deleted = new Dictionary<string, (long Count, DateTimeOffset Oldest)>(StringComparer.Ordinal);
        int rows;
        do
        {
            rows = 0;
            await using var command = dataSource.CreateCommand(DeleteCompletedSql);
            command.Parameters.Add(At(before));
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                rows++;
                var (type, completedAt) = (reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1));
                deleted[type] = deleted.TryGetValue(type, out var sum)
                    ? (sum.Count + 1, completedAt < sum.Oldest ? completedAt : sum.Oldest)
                    : (1, completedAt);
            }
        }
        while (rows == batchSize);

        return [.. deleted.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => new PurgedJobs(d.Key, d.Value.Count, d.Value.Oldest))];
    }

    private static NpgsqlParameter<DateTimeOffset> At(DateTimeOffset at) => new() { TypedValue = at, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
