using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Jobs;

/// <summary>The one statement that enqueues a job (ledger.enqueue_job, migration 0002), shared by
/// the outbox path (inside a unit of work) and <see cref="JobQueue.EnqueueAsync"/>.</summary>
internal static class EnqueueCommand
{
    public const string Sql = "SELECT job_id, duplicate FROM ledger.enqueue_job($1, $2, $3, $4, $5, $6, $7)";

    public static NpgsqlBatchCommand Build(JobRequest job, string? defaultCorrelationId, DateTimeOffset now)
    {
        Validate(job);
        var command = new NpgsqlBatchCommand(Sql);
        AddParameters(command.Parameters, job, defaultCorrelationId, now);
        return command;
    }

    public static void AddParameters(NpgsqlParameterCollection p, JobRequest job, string? defaultCorrelationId, DateTimeOffset now)
    {
        p.Add(new NpgsqlParameter<string> { TypedValue = job.Type });
        p.Add(new NpgsqlParameter<string> { TypedValue = job.PayloadJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
        p.Add(Text(job.TenantId));
        p.Add(new NpgsqlParameter { Value = job.RunAt?.ToUniversalTime() ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(Text(job.DedupeKey));
        p.Add(Text(job.CorrelationId ?? defaultCorrelationId));
        p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
    }

    public static void Validate(JobRequest job)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(job.Type);
        ArgumentException.ThrowIfNullOrWhiteSpace(job.PayloadJson);
        if (job.DedupeKey is { Length: 0 })
        {
            throw new ArgumentException("A dedupe key, when given, must not be empty.", nameof(job));
        }
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = value ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
