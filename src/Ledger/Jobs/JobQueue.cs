using Billing.Ledger.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Jobs;

/// <summary>The queue outside a unit of work: enqueue, inspect, list and re-queue dead letters,
/// and counts for health and metrics. Thread-safe; one per data source.</summary>
public sealed partial class JobQueue(NpgsqlDataSource dataSource, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Enqueues a job on its own. Returns its id, or null when a job with the same
    /// dedupe key, type and payload already exists (whatever its state). Throws
    /// <see cref="JobDedupeConflictException"/> when the key belongs to a different job.</summary>
    public async Task<long?> EnqueueAsync(JobRequest job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        EnqueueCommand.Validate(job);
        await using var command = dataSource.CreateCommand(EnqueueCommand.Sql);
        EnqueueCommand.AddParameters(command.Parameters, job, null, _clock.GetUtcNow());
        try
        {
            long? id;
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                id = reader.GetBoolean(1) ? null : reader.GetInt64(0);
            }

            if (id is not null && (job.RunAt is null || job.RunAt <= _clock.GetUtcNow()))
            {
                ChangeNotifier.For(dataSource).Pulse(LedgerChannels.Jobs);
            }

            return id;
        }
        catch (PostgresException ex) when (ex.SqlState == JobDedupeConflictException.SqlState)
        {
            throw new JobDedupeConflictException(job.DedupeKey!, long.Parse(ex.Hint ?? "0", System.Globalization.CultureInfo.InvariantCulture), ex);
        }
    }

    /// <summary>Puts a dead letter back in the queue with a fresh attempt budget (its error
    /// history is kept). Returns false when the job is not dead.</summary>
    public Task<bool> RequeueAsync(long jobId, CancellationToken ct) => RequeueAsync(jobId, null, ct);

    /// <summary>Re-queues a dead letter to run at <paramref name="runAt"/> (now when null).</summary>
    public async Task<bool> RequeueAsync(long jobId, DateTimeOffset? runAt, CancellationToken ct)
    {
        const string sql = """
            WITH requeued AS (
                UPDATE ledger.jobs
                   SET state = 'pending', attempts = 0, run_at = coalesce($2, $3), dead_at = NULL,
                       note = 're-queued from dead letters', updated_at = $3
                 WHERE id = $1 AND state = 'dead'
             RETURNING type)
            SELECT pg_notify('ledger_jobs', type) FROM requeued
            """;
        var now = _clock.GetUtcNow();
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = runAt?.ToUniversalTime() ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct);
    }

    public async Task<JobCounts> CountsAsync(CancellationToken ct)
    {
        const string sql = """
            SELECT count(*) FILTER (WHERE state = 'pending' AND attempts = 0 AND run_at <= $1),
                   count(*) FILTER (WHERE state = 'pending' AND attempts = 0 AND run_at > $1),
                   count(*) FILTER (WHERE state = 'running'),
                   count(*) FILTER (WHERE state = 'pending' AND attempts > 0),
                   count(*) FILTER (WHERE state = 'dead'),
                   min(run_at) FILTER (WHERE state = 'pending' AND run_at <= $1)
              FROM ledger.jobs
             WHERE state IN ('pending', 'running', 'dead')
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = _clock.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new JobCounts(
            reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
    }
}
