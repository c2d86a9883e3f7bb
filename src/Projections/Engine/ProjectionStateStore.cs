using Billing.Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Projections.Engine;

/// <summary>A projection's progress as stored: its checkpoint, its swap generation and whether it runs.</summary>
internal sealed record ProjectionProgress(LogPosition Checkpoint, long Generation, bool Paused);

/// <summary>SQL on <c>ledger.projection_state</c>. Every write of read-model rows by the daemon,
/// a rebuild swap or a dead-letter retry first locks the projection's row with
/// <see cref="LockAsync"/>, so those writers serialize and each re-checks the checkpoint it
/// planned against (fencing: a node that lost leadership without noticing cannot double-apply).</summary>
internal static class ProjectionStateStore
{
    private const string SelectSql = "SELECT checkpoint_tx, checkpoint_position, generation, state FROM ledger.projection_state WHERE name = $1";

    private const string AdvanceSql = """
        UPDATE ledger.projection_state
           SET checkpoint_tx = $2, checkpoint_position = $3, last_applied_at = now()
         WHERE name = $1
        """;

    // A requeued dead letter is resolved once the daemon commits past its event.
    private const string ResolveRequeuedSql = """
        UPDATE ledger.projection_dead_letters
           SET status = 'resolved', resolved_at = now()
         WHERE projection = $1 AND status = 'requeued' AND (tx_id, global_position) <= ($2, $3)
        """;

    public static async Task<ProjectionProgress> LoadAsync(NpgsqlDataSource dataSource, string name, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(SelectSql);
        return await ReadAsync(command, name, ct);
    }

    public static async Task<ProjectionProgress> LockAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string name, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(SelectSql + " FOR UPDATE", connection, tx);
        return await ReadAsync(command, name, ct);
    }

    public static NpgsqlBatchCommand Advance(string name, LogPosition next) =>
        new(AdvanceSql) { Parameters = { Text(name), Xid(next.TxId), new NpgsqlParameter<long> { TypedValue = next.GlobalPosition } } };

    public static NpgsqlBatchCommand ResolveRequeued(string name, LogPosition upTo) =>
        new(ResolveRequeuedSql) { Parameters = { Text(name), Xid(upTo.TxId), new NpgsqlParameter<long> { TypedValue = upTo.GlobalPosition } } };

    public static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value };

    public static NpgsqlParameter<ulong> Xid(ulong value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Xid8 };

    private static async Task<ProjectionProgress> ReadAsync(NpgsqlCommand command, string name, CancellationToken ct)
    {
        command.Parameters.Add(Text(name));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            throw new UnknownProjectionException(name);
        }

        return new ProjectionProgress(new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1)), reader.GetInt64(2), reader.GetString(3) == "paused");
    }
}
