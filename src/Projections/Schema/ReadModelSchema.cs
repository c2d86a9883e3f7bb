using Npgsql;

namespace Billing.Projections;

/// <summary>Creates each registered projection's live tables (when absent) and its state row.
/// Runs at start-up after migrations, under an advisory lock so Hosts starting together do
/// not race on <c>CREATE TABLE</c>. A changed table definition is not migrated here: rebuild
/// the projection (the shadow is created from the current definition and swapped in).</summary>
public sealed class ReadModelSchema(NpgsqlDataSource dataSource, ProjectionCatalog catalog)
{
    // Arbitrary constant shared by every process creating read-model tables.
    private const long LockKey = 0x0B11_11A6_0010;

    private const string UpsertStateSql = """
        INSERT INTO ledger.projection_state AS s (name, mode) VALUES ($1, $2)
        ON CONFLICT (name) DO UPDATE SET mode = excluded.mode
        """;

    public async Task EnsureAsync(CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(connection, tx);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({LockKey})"));
        foreach (var registration in catalog.All)
        {
            foreach (var table in registration.Projection.Tables)
            {
                foreach (var sql in CreateTableSql(table, TableTarget.Live, ifNotExists: true))
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
                }
            }

            batch.BatchCommands.Add(BatchWriter.ToCommand(UpsertStateSql, [registration.Name, ModeName(registration.Mode)]));
        }

        await batch.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
    }

    internal static string ModeName(ProjectionMode mode) => mode == ProjectionMode.Inline ? "inline" : "async";

    /// <summary>DDL for one copy of a table. Constraint and index names follow the table's own
    /// name (<c>x_pkey</c>, <c>x__shadow_pkey</c>) so a swap can rename them back.</summary>
    internal static IEnumerable<string> CreateTableSql(ReadModelTable table, TableTarget target, bool ifNotExists)
    {
        var qualified = ReadModelNames.Resolve(table.Name, target);
        var local = target == TableTarget.Shadow ? ReadModelNames.ShadowName(table.Name) : table.Name;
        // A shadow is written without WAL while it is built (a crash mid-rebuild only loses the
        // rebuild) and made durable with SET LOGGED just before the swap.
        var temp = target switch
        {
            TableTarget.Temporary => "TEMPORARY ",
            TableTarget.Shadow => "UNLOGGED ",
            _ => "",
        };
        var exists = ifNotExists ? "IF NOT EXISTS " : "";
        yield return $"CREATE {temp}TABLE {exists}{qualified} ({table.Columns}, CONSTRAINT {local}_pkey PRIMARY KEY ({table.Key}))";
        var indexes = table.Indexes ?? [];
        for (var i = 0; i < indexes.Count; i++)
        {
            yield return $"CREATE INDEX {exists}{local}_ix{i} ON {qualified} ({indexes[i]})";
        }
    }
}
