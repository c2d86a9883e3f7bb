using Billing.Ledger.EventStore;
using Billing.Projections.Engine;
using Npgsql;

namespace Billing.Projections;

public sealed partial class ProjectionRebuilder
{
    private const string SwappedSql = "UPDATE ledger.projection_state SET generation = generation + 1, rebuilt_at = now() WHERE name = $1";

    // The rebuilt tables include events an earlier failure had skipped: those letters are settled.
    private const string ResolveRebuiltSql = """
        UPDATE ledger.projection_dead_letters
           SET status = 'resolved', resolved_at = now()
         WHERE projection = $1 AND status <> 'resolved' AND global_position <= $2
        """;

    /// <summary>The final transaction. Async: locks the state row (the daemon's next page waits),
    /// catches the shadow up to the live checkpoint. Inline: locks the live tables against
    /// writers (readers continue), catches the shadow up to every committed event; appends in
    /// flight write after the swap, into the new tables. Then compares, or swaps by renaming.</summary>
    private async Task<(long CaughtUp, VerifyReport? Verify)> FinishAsync(NpgsqlConnection connection, ProjectionRegistration registration, long built, RebuildOptions options, CancellationToken ct)
    {
        var projection = registration.Projection;
        await using var tx = await connection.BeginTransactionAsync(ct);
        LogQuery catchUp;
        if (registration.Mode == ProjectionMode.Async)
        {
            var live = await ProjectionStateStore.LockAsync(connection, tx, registration.Name, ct);
            catchUp = new LogQuery(built, options.PageSize, live.Checkpoint, projection.EventTypes);
        }
        else
        {
            var tables = string.Join(", ", projection.Tables.Select(t => ReadModelNames.Live(t.Name)));
            await ExecAsync(connection, tx, $"LOCK TABLE {tables} IN EXCLUSIVE MODE", ct);
            await ProjectionStateStore.LockAsync(connection, tx, registration.Name, ct);
            // Under the lock every event is committed or belongs to a writer waiting on us.
            catchUp = new LogQuery(built, options.PageSize, null, projection.EventTypes);
        }

        // The shadow holds rows now: the catch-up applies pages (no fold).
        var (last, caughtUp, _, _) = await new Replay(store, projection).RunAsync(connection, tx, TableTarget.Shadow, catchUp, null, ct);
        if (options.VerifyOnly)
        {
            var report = await TableComparer.CompareAsync(connection, tx, projection, options.MaxDifferences, ct);
            foreach (var table in projection.Tables)
            {
                await ExecAsync(connection, tx, $"DROP TABLE {ReadModelNames.Shadow(table.Name)}", ct);
            }

            await tx.CommitAsync(ct);
            return (caughtUp, report);
        }

        foreach (var table in projection.Tables)
        {
            await SwapAsync(connection, tx, table, ct);
        }

        await Projector.ExecuteAsync(connection, tx,
        [
            new NpgsqlBatchCommand(SwappedSql) { Parameters = { ProjectionStateStore.Text(registration.Name) } },
            new NpgsqlBatchCommand(ResolveRebuiltSql)
            {
                Parameters = { ProjectionStateStore.Text(registration.Name), new NpgsqlParameter<long> { TypedValue = last } },
            },
        ], ct);

        await tx.CommitAsync(ct);
        return (caughtUp, null);
    }

    private static async Task SwapAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ReadModelTable table, CancellationToken ct)
    {
        var shadow = ReadModelNames.ShadowName(table.Name);
        await ExecAsync(connection, tx, $"DROP TABLE IF EXISTS {ReadModelNames.Live(table.Name)}", ct);
        await ExecAsync(connection, tx, $"ALTER TABLE {ReadModelNames.Shadow(table.Name)} RENAME TO {table.Name}", ct);
        await ExecAsync(connection, tx, $"ALTER INDEX {ReadModelNames.Schema}.{shadow}_pkey RENAME TO {table.Name}_pkey", ct);
        for (var i = 0; i < (table.Indexes?.Count ?? 0); i++)
        {
            await ExecAsync(connection, tx, $"ALTER INDEX {ReadModelNames.Schema}.{shadow}_ix{i} RENAME TO {table.Name}_ix{i}", ct);
        }
    }

    private static async Task CreateShadowIndexesAsync(NpgsqlConnection connection, IProjection projection, CancellationToken ct)
    {
        foreach (var table in projection.Tables)
        {
            foreach (var sql in ReadModelSchema.CreateTableSql(table, TableTarget.Shadow, ifNotExists: false).Skip(1))
            {
                await ExecAsync(connection, null, sql, ct);
            }
        }
    }

    private static async Task MakeShadowDurableAsync(NpgsqlConnection connection, IProjection projection, CancellationToken ct)
    {
        foreach (var table in projection.Tables)
        {
            await ExecAsync(connection, null, $"ALTER TABLE {ReadModelNames.Shadow(table.Name)} SET LOGGED", ct);
        }
    }

    private static async Task ExecAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(ct);
    }
}
