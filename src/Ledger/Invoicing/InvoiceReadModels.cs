using Billing.Ledger.EventStore;
using Npgsql;

namespace Billing.Ledger.Invoicing;

/// <summary>Rebuilds the invoice read models from the log: truncate, then replay every invoice
/// event in commit order through <see cref="InvoiceProjection"/>, all in one transaction, so
/// readers see either the old tables or the rebuilt ones.</summary>
public static class InvoiceReadModels
{
    public static async Task RebuildAsync(EventStore.EventStore store, CancellationToken ct)
    {
        var projection = new InvoiceProjection();
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var truncate = new NpgsqlCommand(InvoiceProjection.TruncateSql, connection, tx))
        {
            await truncate.ExecuteNonQueryAsync(ct);
        }

        var position = LogPosition.Start;
        while (true)
        {
            var page = await store.ReadAllAsync(position, 1000, new LogFilter(Types: InvoiceProjection.EventTypes), ct);
            if (page.Events.Count == 0)
            {
                break;
            }

            // A unit of work with no appends carries only the projection's commands.
            var uow = store.BeginUnitOfWork();
            projection.Project(page.Events.Select(e => new PendingEvent(e.EventId, e.TenantId, e.StreamId, e.Version, e.Type, e.Data, e.Metadata)).ToList(), uow);
            await uow.CommitAsync(connection, tx, ct);
            position = page.Next;
        }

        await tx.CommitAsync(ct);
    }
}
