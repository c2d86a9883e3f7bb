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
    // ledger.claim_jobs (migration 0002) holds the claim: due pending jobs and running jobs whose
    // lease expired, FOR UPDATE SKIP LOCKED, in claimable-time order, under a fresh lease token.
    private const string ClaimSql = "SELECT id, type, payload, tenant_id, attempts, correlation_id, run_at, lease_token FROM ledger.claim_jobs($1, $2, $3, $4, $5)";

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
