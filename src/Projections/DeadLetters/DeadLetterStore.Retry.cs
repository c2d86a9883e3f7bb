using Billing.Projections.Engine;
using Npgsql;

namespace Billing.Projections;

public sealed partial class DeadLetterStore
{
    private const string LockLetterSql = ListSql + " FOR UPDATE";

    private const string RequeueSql = """
        UPDATE ledger.projection_dead_letters SET status = 'requeued' WHERE id = $1
        """;

    private const string ResumeSql = "UPDATE ledger.projection_state SET state = 'running', paused_reason = NULL WHERE name = $1";

    private const string ResolveSql = "UPDATE ledger.projection_dead_letters SET status = 'resolved', resolved_at = now() WHERE id = $1";

    private const string FailedAgainSql = "UPDATE ledger.projection_dead_letters SET error = $2, attempts = attempts + 1, failed_at = now() WHERE id = $1";

    /// <summary>Retries an open dead letter. If the projection stopped before the event (pause
    /// policy) it resumes from there and meets the event again in order. If it had skipped the
    /// event (continue policy), the event is applied now, out of order, in one transaction with
    /// the letter's resolution; a version-guarded projection may then ignore it as stale, and
    /// the faithful repair is a rebuild.</summary>
    public async Task<DeadLetterRetry> RetryAsync(long id, CancellationToken ct = default)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var letter = await LockOpenAsync(connection, tx, id, ct);
        var progress = await ProjectionStateStore.LockAsync(connection, tx, letter.Projection, ct);
        if (letter.Position > progress.Checkpoint)
        {
            await ExecAsync(connection, tx, RequeueSql, [id], ct);
            await ExecAsync(connection, tx, ResumeSql, [letter.Projection], ct);
            await tx.CommitAsync(ct);
            return new DeadLetterRetry(id, "requeued", null);
        }

        var registration = catalog.Get(letter.Projection);
        var query = new LogQuery(letter.Position - 1, 1, letter.Position);
        var events = await new LogReader(store).ReadAsync(query, connection, tx, ct);
        try
        {
            await using (var savepoint = new NpgsqlCommand("SAVEPOINT retry", connection, tx))
            {
                await savepoint.ExecuteNonQueryAsync(ct);
            }

            var commands = Projector.Commands(registration.Projection, events.Select(ProjectedEvent.From).ToList(), TableTarget.Live);
            await Projector.ExecuteAsync(connection, tx, commands, ct);
            await ExecAsync(connection, tx, ResolveSql, [id], ct);
            await tx.CommitAsync(ct);
            return new DeadLetterRetry(id, "resolved", null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !Projector.IsTransient(ex))
        {
            await using (var rollback = new NpgsqlCommand("ROLLBACK TO SAVEPOINT retry", connection, tx))
            {
                await rollback.ExecuteNonQueryAsync(ct);
            }

            var error = Describe(ex);
            await ExecAsync(connection, tx, FailedAgainSql, [id, error], ct);
            await tx.CommitAsync(ct);
            return new DeadLetterRetry(id, "failed", error);
        }
    }

    private static async Task<DeadLetter> LockOpenAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long id, CancellationToken ct)
    {
        var sql = LockLetterSql.Replace("ORDER BY id", "AND id = $3", StringComparison.Ordinal);
        await using var command = new NpgsqlCommand(sql, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = false });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) && reader.GetString(9) == "open" ? Read(reader) : throw new DeadLetterNotFoundException(id);
    }

    private static async Task ExecAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, object[] args, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = arg });
        }

        await command.ExecuteNonQueryAsync(ct);
    }
}
