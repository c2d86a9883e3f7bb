using Npgsql;

namespace Billing.Projections.Daemon;

/// <summary>Leadership of one projection: a session advisory lock held on a dedicated
/// connection. PostgreSQL releases it when that connection ends, so a dead node's lease frees
/// itself and a follower takes over at its next try; the leader checks the connection on
/// every heartbeat and stops leading the moment it cannot prove it still holds the lock.</summary>
internal sealed class ProjectionLease : IAsyncDisposable
{
    /// <summary>First key of every projection lease (the second is a hash of the name).</summary>
    internal const int LeaseClass = 0x0B11;

    /// <summary>First key of a projection's rebuild lock (one rebuild at a time per projection).</summary>
    internal const int RebuildClass = 0x0B12;

    private const string HeldSql = """
        SELECT EXISTS (SELECT 1 FROM pg_locks
                        WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                          AND classid = $1::int::oid AND objid = hashtext($2)::oid AND objsubid = 2)
        """;

    private readonly NpgsqlConnection _connection;
    private readonly int _lockClass;
    private readonly string _name;

    private ProjectionLease(NpgsqlConnection connection, int lockClass, string name)
    {
        _connection = connection;
        _lockClass = lockClass;
        _name = name;
    }

    public NpgsqlConnection Connection => _connection;

    public static async Task<ProjectionLease?> TryAcquireAsync(NpgsqlDataSource dataSource, int lockClass, string name, CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1, hashtext($2))", connection);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = lockClass });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
            if (await command.ExecuteScalarAsync(ct) is true)
            {
                return new ProjectionLease(connection, lockClass, name);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    /// <summary>True only if the lock is provably still held by this connection.</summary>
    public async Task<bool> IsHeldAsync(CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(HeldSql, _connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _lockClass });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _name });
        return await command.ExecuteScalarAsync(ct) is true;
    }

    public async ValueTask DisposeAsync()
    {
        // A pooled connection keeps its session (and the lock) while idle, so unlock explicitly.
        // If that fails the connection is unusable: clearing the pool makes it close physically
        // on return, which ends the session and releases the lock server-side.
        if (_connection.State == System.Data.ConnectionState.Open)
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1, hashtext($2))", _connection);
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _lockClass });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _name });
                await command.ExecuteScalarAsync();
            }
            catch (NpgsqlException)
            {
                NpgsqlConnection.ClearPool(_connection);
            }
        }

        await _connection.DisposeAsync();
    }
}
