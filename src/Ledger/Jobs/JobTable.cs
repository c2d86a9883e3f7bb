using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Jobs;

/// <summary>A job claimed under a lease. The token is new on every claim; every later write for
/// this claim is guarded by it, so a worker whose lease was taken over writes nothing.</summary>
internal sealed record ClaimedJob(Job Job, Guid LeaseToken, DateTimeOffset ClaimedAt);

/// <summary>The worker-side statements on ledger.jobs. Every statement takes the time from the
/// caller's clock. Writes after the claim only touch a row still running under the same lease
/// token and report whether they did.</summary>
internal sealed partial class JobTable(NpgsqlDataSource dataSource, TimeProvider clock, string workerId)
{
    // A pending job is claimable at run_at, a running one once its lease has expired (its worker
    // died or hung); SKIP LOCKED lets concurrent workers take disjoint sets without waiting.
    // A claim taken over from an expired lease records that in the error history, because the
    // attempt it replaces never reported back.
    private const string ClaimSql = """
        WITH due AS (
            SELECT id, run_at, state AS previous_state, locked_by AS previous_worker
              FROM ledger.jobs
             WHERE state IN ('pending', 'running')
               AND coalesce(lease_until, run_at) <= $1
               AND type = ANY ($2)
             ORDER BY coalesce(lease_until, run_at), id
             LIMIT $3
               FOR UPDATE SKIP LOCKED)
        UPDATE ledger.jobs j
           SET state = 'running', attempts = j.attempts + 1, locked_by = $4,
               lease_token = gen_random_uuid(), lease_until = $1 + $5, updated_at = $1,
               errors = CASE WHEN due.previous_state = 'running'
                             THEN j.errors || jsonb_build_object('attempt', j.attempts, 'at', $1, 'worker', due.previous_worker,
                                  'error', 'lease expired: the worker neither completed nor failed the job')
                             ELSE j.errors END
          FROM due
         WHERE j.id = due.id
        RETURNING j.id, j.type, j.payload::text, j.tenant_id, j.attempts, j.correlation_id, due.run_at, j.lease_token
        """;

    private const string ExtendSql = """
        UPDATE ledger.jobs SET lease_until = $3, updated_at = $4
         WHERE id = $1 AND lease_token = $2 AND state = 'running'
        """;

    public string WorkerId => workerId;

    public DateTimeOffset Now => clock.GetUtcNow();

    public async Task<List<ClaimedJob>> ClaimAsync(string[] types, int max, TimeSpan lease, CancellationToken ct)
    {
        var now = Now;
        await using var command = dataSource.CreateCommand(ClaimSql);
        var p = command.Parameters;
        p.Add(Time(now));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = types, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<int> { TypedValue = max });
        p.Add(new NpgsqlParameter<string> { TypedValue = workerId });
        p.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lease, NpgsqlDbType = NpgsqlDbType.Interval });
        var claimed = new List<ClaimedJob>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var job = new Job(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6));
            claimed.Add(new ClaimedJob(job, reader.GetGuid(7), now));
        }

        claimed.Sort((a, b) => a.Job.RunAt != b.Job.RunAt ? a.Job.RunAt.CompareTo(b.Job.RunAt) : a.Job.Id.CompareTo(b.Job.Id));
        return claimed;
    }

    /// <summary>Moves the lease to now + <paramref name="lease"/>; false when it was lost.</summary>
    public async Task<bool> ExtendLeaseAsync(ClaimedJob claimed, TimeSpan lease, CancellationToken ct)
    {
        var now = Now;
        await using var command = dataSource.CreateCommand(ExtendSql);
        AddLease(command.Parameters, claimed);
        command.Parameters.Add(Time(now + lease));
        command.Parameters.Add(Time(now));
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    private static void AddLease(NpgsqlParameterCollection p, ClaimedJob claimed)
    {
        p.Add(new NpgsqlParameter<long> { TypedValue = claimed.Job.Id });
        p.Add(new NpgsqlParameter<Guid> { TypedValue = claimed.LeaseToken });
    }

    private static NpgsqlParameter<DateTimeOffset> Time(DateTimeOffset value) =>
        new() { TypedValue = value.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
