using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Jobs;

internal sealed partial class JobTable
{
    // Set-wise in a function that pins an index plan (migration 0096): prepared as a top-level
    // UPDATE ... FROM unnest, a plan cached while ledger.jobs was small scanned the whole table.
    private const string CompleteManySql = "SELECT * FROM ledger.complete_jobs($1, $2, $3)";

    private const string CompleteOneSql = """
        UPDATE ledger.jobs
           SET state = 'completed', completed_at = $3, updated_at = $3,
               locked_by = NULL, lease_token = NULL, lease_until = NULL
         WHERE id = $1 AND lease_token = $2 AND state = 'running'
        """;

    // A failed attempt: back to pending at the retry time, or dead after the last attempt. The
    // error joins the history either way, so a dead letter shows every attempt's error.
    private const string FailSql = """
        UPDATE ledger.jobs
           SET state = CASE WHEN $5 THEN 'dead' ELSE 'pending' END,
               run_at = CASE WHEN $5 THEN run_at ELSE $4 END,
               dead_at = CASE WHEN $5 THEN $3 END,
               last_error = $6,
               errors = errors || jsonb_build_object('attempt', attempts, 'at', $3, 'worker', locked_by, 'error', $6),
               locked_by = NULL, lease_token = NULL, lease_until = NULL, updated_at = $3
         WHERE id = $1 AND lease_token = $2 AND state = 'running'
        """;

    // Back to pending without spending an attempt: a handler asked to run later, or the worker
    // is shutting down before or while running the job.
    private const string ReleaseSql = """
        UPDATE ledger.jobs
           SET state = 'pending', run_at = $4, attempts = attempts - 1, note = $5,
               locked_by = NULL, lease_token = NULL, lease_until = NULL, updated_at = $3
         WHERE id = $1 AND lease_token = $2 AND state = 'running'
        """;

    /// <summary>Completes finished jobs in one statement; returns the ids whose lease still held.</summary>
    public async Task<HashSet<long>> CompleteManyAsync(IReadOnlyList<ClaimedJob> jobs, CancellationToken ct)
    {
        if (jobs.Count == 0)
        {
            return [];
        }

        await using var command = dataSource.CreateCommand(CompleteManySql);
        AddCompletions(command.Parameters, jobs);
        var completed = new HashSet<long>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            completed.Add(reader.GetInt64(0));
        }

        return completed;
    }

    /// <summary>Completes jobs inside the caller's transaction (row locks taken); returns the ids
    /// whose lease still held. The caller must roll back unless all of them did.</summary>
    public async Task<HashSet<long>> CompleteManyInAsync(IReadOnlyList<ClaimedJob> jobs, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(CompleteManySql, connection, transaction);
        AddCompletions(command.Parameters, jobs);
        var completed = new HashSet<long>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            completed.Add(reader.GetInt64(0));
        }

        return completed;
    }

    private void AddCompletions(NpgsqlParameterCollection parameters, IReadOnlyList<ClaimedJob> jobs)
    {
        parameters.Add(Time(Now));
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = jobs.Select(j => j.Job.Id).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = jobs.Select(j => j.LeaseToken).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
    }

    /// <summary>Completes one job inside the caller's transaction, taking the job row's lock
    /// first; false when the lease was lost (the caller must roll back).</summary>
    public async Task<bool> CompleteInAsync(ClaimedJob claimed, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(CompleteOneSql, connection, transaction);
        AddLease(command.Parameters, claimed);
        command.Parameters.Add(Time(Now));
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<bool> FailAsync(ClaimedJob claimed, DateTimeOffset retryAt, bool dead, string error, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(FailSql);
        AddLease(command.Parameters, claimed);
        command.Parameters.Add(Time(Now));
        command.Parameters.Add(Time(retryAt));
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = dead });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = error });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<bool> ReleaseAsync(ClaimedJob claimed, DateTimeOffset runAt, string note, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(ReleaseSql);
        AddLease(command.Parameters, claimed);
        command.Parameters.Add(Time(Now));
        command.Parameters.Add(Time(runAt));
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = note });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }
}
