using Billing.Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Invoicing;

/// <summary>Rebuilds read models from the log inside one transaction: truncate, then replay the
/// events through the projection. TRUNCATE holds an exclusive lock on the tables, so every
/// writer that projects into them inline waits (its events uncommitted) until the rebuild
/// commits and then applies on top, guarded by version. The replay therefore reads the events
/// table directly in this transaction rather than through the commit-order feed, whose
/// cluster-wide xmin horizon could still hide events that are already committed.</summary>
public static class InvoiceReadModels
{
    private const string PageSql = """
        SELECT global_position, event_id, tenant_id, stream_id, version, type, data::text
          FROM ledger.events
         WHERE type = ANY ($1) AND global_position > $2
         ORDER BY global_position
         LIMIT 1000
        """;

    public static async Task RebuildAsync(EventStore.EventStore store, CancellationToken ct)
    {
        var projection = new InvoiceProjection();
        await ReplayAsync(store, InvoiceProjection.TruncateSql, InvoiceProjection.EventTypes, (events, uow) => projection.Project(events, uow), ct);
    }

    /// <summary>Truncates (the SQL given) and replays every event of <paramref name="types"/> in
    /// log order through <paramref name="project"/>, whose commands run in this transaction.</summary>
    public static async Task ReplayAsync(EventStore.EventStore store, string truncateSql, IReadOnlyCollection<string> types, Action<IReadOnlyList<PendingEvent>, UnitOfWork> project, CancellationToken ct)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var truncate = new NpgsqlCommand(truncateSql, connection, tx))
        {
            await truncate.ExecuteNonQueryAsync(ct);
        }

        var after = 0L;
        while (true)
        {
            var (page, last) = await ReadPageAsync(store, connection, tx, types, after, ct);
            if (page.Count == 0)
            {
                break;
            }

            // A unit of work with no appends carries only the projection's commands.
            var uow = store.BeginUnitOfWork();
            project(page, uow);
            await uow.CommitAsync(connection, tx, ct);
            after = last;
        }

        await tx.CommitAsync(ct);
    }

    private static async Task<(List<PendingEvent> Page, long Last)> ReadPageAsync(
        EventStore.EventStore store, NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyCollection<string> types, long after, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(PageSql, connection, tx);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = types.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var page = new List<PendingEvent>();
        var last = after;
        while (await reader.ReadAsync(ct))
        {
            last = reader.GetInt64(0);
            var (type, data) = store.Registry.Deserialize(reader.GetString(5), reader.GetString(6));
            page.Add(new PendingEvent(reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), type, data, EventMetadata.Empty));
        }

        return (page, last);
    }
}
