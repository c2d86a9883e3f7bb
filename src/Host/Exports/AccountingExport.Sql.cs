using Npgsql;

namespace Billing.Host.Exports;

public sealed partial class AccountingExport
{
    private const string FinalizedSql = """
        SELECT i.invoice_id, i.number, i.tenant_id, i.currency, i.finalized_at, i.total_minor, l.kind, l.description, l.amount_minor
          FROM rm.invoices i JOIN rm.invoice_lines l USING (invoice_id)
         WHERE i.finalized_at >= $1 AND i.finalized_at < $2 AND i.number IS NOT NULL
         ORDER BY i.finalized_at, i.invoice_id, l.line_no
        """;

    // Payments, refunds and credit notes come from the log: each is its own dated journal.
    private const string SettlementsSql = """
        SELECT i.invoice_id, i.number, i.tenant_id, i.currency, i.finalized_at, i.total_minor, e.type,
               (e.data->>'amountMinor')::bigint, coalesce((e.data->>'toBalanceMinor')::bigint, 0), (e.data->>'at')::timestamptz,
               coalesce(e.data->>'refundId', e.data->>'creditNoteId', e.event_id::text), e.data->>'reason'
          FROM ledger.events e JOIN rm.invoices i ON i.invoice_id = e.data->>'invoiceId' AND i.tenant_id = e.tenant_id
         WHERE e.type IN ('invoice.paid.v1', 'invoice.refunded.v1', 'invoice.credit_note_issued.v1')
           AND (e.data->>'at')::timestamptz >= $1 AND (e.data->>'at')::timestamptz < $2
         ORDER BY e.global_position
        """;

    private sealed record InvoiceRef(string InvoiceId, string Number, string TenantId, string Currency, DateTimeOffset FinalizedAt, long Total);

    private sealed record Settlement(InvoiceRef Invoice, string Kind, long Amount, long ToBalance, DateTimeOffset At, string Reference, string Description);

    private async Task<List<(InvoiceRef Invoice, List<(string Kind, string Description, long Amount)> Lines)>> FinalizedAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var command = Command(FinalizedSql, from, to);
        await using var r = await command.ExecuteReaderAsync(ct);
        var result = new List<(InvoiceRef, List<(string, string, long)>)>();
        while (await r.ReadAsync(ct))
        {
            var invoice = Invoice(r);
            if (result.Count == 0 || result[^1].Item1.InvoiceId != invoice.InvoiceId)
            {
                result.Add((invoice, []));
            }

            result[^1].Item2.Add((r.GetString(6), r.GetString(7), r.GetInt64(8)));
        }

        return result;
    }

    private async Task<List<Settlement>> SettlementsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var command = Command(SettlementsSql, from, to);
        await using var r = await command.ExecuteReaderAsync(ct);
        var result = new List<Settlement>();
        while (await r.ReadAsync(ct))
        {
            var kind = r.GetString(6) switch { "invoice.paid.v1" => "paid", "invoice.refunded.v1" => "refund", _ => "credit_note" };
            result.Add(new Settlement(Invoice(r), kind, r.GetInt64(7), r.GetInt64(8), r.GetFieldValue<DateTimeOffset>(9), r.GetString(10), kind + ": " + (r.IsDBNull(11) ? "" : r.GetString(11))));
        }

        return result;
    }

    private static InvoiceRef Invoice(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4), r.GetInt64(5));

    private NpgsqlCommand Command(string sql, DateTimeOffset from, DateTimeOffset to)
    {
        var command = db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = from.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = to.ToUniversalTime() });
        return command;
    }
}
