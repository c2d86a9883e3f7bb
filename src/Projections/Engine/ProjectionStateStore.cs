using Billing.Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Projections.Engine;

/// <summary>A projection's progress as stored: its checkpoint, its swap generation and whether it runs.</summary>
internal sealed record ProjectionProgress(long Checkpoint, long Generation, bool Paused);

/// <summary>SQL on <c>ledger.projection_state</c>. Every write of read-model rows by the daemon,
/// a rebuild swap or a dead-letter retry first locks the projection's row with
/// <see cref="LockAsync"/>, so those writers serialize and each re-checks the checkpoint it
/// planned against (fencing: a node that lost leadership without noticing cannot double-apply).</summary>
internal static class ProjectionStateStore
{
    private const string SelectSql = "SELECT checkpoint_position, generation, state FROM ledger.projection_state WHERE name = $1";

    private const string AdvanceSql = """
        UPDATE ledger.projection_state
           SET checkpoint_position = $2, last_applied_at = now()
         WHERE name = $1
        """;

    // A requeued dead letter is resolved once the daemon commits past its event.
    private const string ResolveRequeuedSql = """
        UPDATE ledger.projection_dead_letters
           SET status = 'resolved', resolved_at = now()
         WHERE projection = $1 AND status = 'requeued' AND global_position <= $2
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

    public static NpgsqlBatchCommand Advance(string name, long next) =>
        new(AdvanceSql) { Parameters = { Text(name), new NpgsqlParameter<long> { TypedValue = next } } };

    public static NpgsqlBatchCommand ResolveRequeued(string name, long upTo) =>
        new(ResolveRequeuedSql) { Parameters = { Text(name), new NpgsqlParameter<long> { TypedValue = upTo } } };

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

        return new ProjectionProgress(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2) == "paused");
    }
}
