using System.Text.Json;
using Npgsql;

namespace Billing.Ledger.Jobs;

/// <summary>A job row as an operator sees it.</summary>
public sealed record JobSnapshot(
    long Id,
    string Type,
    string PayloadJson,
    string? TenantId,
    string State,
    int Attempts,
    DateTimeOffset RunAt,
    string? DedupeKey,
    string? CorrelationId,
    string? LockedBy,
    DateTimeOffset? LeaseUntil,
    string? Note,
    DateTimeOffset? CompletedAt,
    IReadOnlyList<JobAttemptError> Errors);

public sealed partial class JobQueue
{
    private const string SnapshotColumns =
        "id, type, payload::text, tenant_id, state, attempts, run_at, dedupe_key, correlation_id, locked_by, lease_until, note, completed_at, errors::text";

    public async Task<JobSnapshot?> GetAsync(long jobId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {SnapshotColumns} FROM ledger.jobs WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = jobId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new JobSnapshot(
            reader.GetInt64(0), reader.GetString(1), reader.GetString(2), NullableString(reader, 3), reader.GetString(4),
            reader.GetInt32(5), reader.GetFieldValue<DateTimeOffset>(6), NullableString(reader, 7), NullableString(reader, 8),
            NullableString(reader, 9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10), NullableString(reader, 11),
            reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12), ParseErrors(reader.GetString(13)));
    }

    /// <summary>Dead letters, newest first, optionally of one job type.</summary>
    public Task<IReadOnlyList<DeadJob>> ListDeadLettersAsync(CancellationToken ct) => ListDeadLettersAsync(100, null, ct);

    public async Task<IReadOnlyList<DeadJob>> ListDeadLettersAsync(int limit, string? type, CancellationToken ct)
    {
        const string sql = """
            SELECT id, type, payload::text, tenant_id, attempts, correlation_id, created_at, dead_at, last_error, errors::text
              FROM ledger.jobs
             WHERE state = 'dead' AND ($1::text IS NULL OR type = $1)
             ORDER BY dead_at DESC, id DESC
             LIMIT $2
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = type ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var dead = new List<DeadJob>();
        while (await reader.ReadAsync(ct))
        {
            dead.Add(new DeadJob(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), NullableString(reader, 3), reader.GetInt32(4),
                NullableString(reader, 5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7),
                NullableString(reader, 8), ParseErrors(reader.GetString(9))));
        }

        return dead;
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    internal static IReadOnlyList<JobAttemptError> ParseErrors(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(e => new JobAttemptError(
            e.GetProperty("attempt").GetInt32(),
            e.GetProperty("at").GetDateTimeOffset(),
            e.TryGetProperty("worker", out var w) && w.ValueKind == JsonValueKind.String ? w.GetString() : null,
            e.GetProperty("error").GetString() ?? "")).ToList();
    }
}
