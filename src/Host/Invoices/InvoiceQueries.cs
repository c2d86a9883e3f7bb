using Npgsql;

namespace Billing.Host.Invoices;

/// <summary>Reads of the invoice read models for the API, the PDF and the demo.</summary>
public sealed class InvoiceQueries(NpgsqlDataSource db)
{
    private const string Columns = """
        invoice_id, tenant_id, number, period, period_start, period_end, status, currency, plan_id, catalogue_version,
        total_minor, amount_paid_minor, amount_refunded_minor, amount_credited_minor, amount_due_minor, drafted_at,
        finalized_at, due_at, last_version
        """;

    // Keyset pagination on (period, invoice_id): stable under concurrent inserts, no OFFSET scans.
    private const string ListSql = $"""
        SELECT {Columns} FROM rm.invoices
         WHERE ($1::text IS NULL OR tenant_id = $1)
           AND ($2::text IS NULL OR status = $2)
           AND ($3::text IS NULL OR period >= $3)
           AND ($4::text IS NULL OR period <= $4)
           AND ($5::text IS NULL OR (period, invoice_id) > ($5, $6::text))
         ORDER BY period, invoice_id
         LIMIT $7
        """;

    private const string OneSql = $"SELECT {Columns} FROM rm.invoices WHERE invoice_id = $1";

    private const string LinesSql = """
        SELECT line_no, kind, description, metric, plan_id, for_period, quantity, included_quantity, billable_quantity,
               unit_price_minor, amount_minor, reference
          FROM rm.invoice_lines WHERE invoice_id = $1 ORDER BY line_no
        """;

    public async Task<InvoicePage> ListAsync(InvoiceFilter f, CancellationToken ct)
    {
        await using var command = db.CreateCommand(ListSql);
        foreach (var value in new object?[] { f.TenantId, f.Status, f.PeriodFrom, f.PeriodTo, f.After?.Period, f.After?.InvoiceId })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        }

        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = f.Limit + 1 });
        var rows = await ReadAsync(command, ct);
        var more = rows.Count > f.Limit;
        var items = more ? rows.Take(f.Limit).ToList() : rows;
        return new InvoicePage(items, more ? InvoiceCursor.Encode(items[^1].Period, items[^1].InvoiceId) : null);
    }

    public async Task<InvoiceView?> FindAsync(string invoiceId, bool withLines, CancellationToken ct)
    {
        await using var command = db.CreateCommand(OneSql);
        command.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
        var invoice = (await ReadAsync(command, ct)).SingleOrDefault();
        return invoice is null || !withLines ? invoice : invoice with { Lines = await LinesAsync(invoiceId, ct) };
    }

    private async Task<IReadOnlyList<InvoiceLineView>> LinesAsync(string invoiceId, CancellationToken ct)
    {
        await using var command = db.CreateCommand(LinesSql);
        command.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
        await using var r = await command.ExecuteReaderAsync(ct);
        var lines = new List<InvoiceLineView>();
        while (await r.ReadAsync(ct))
        {
            lines.Add(new InvoiceLineView(r.GetInt32(0), r.GetString(1), r.GetString(2), Text(r, 3), Text(r, 4), Text(r, 5), r.GetDecimal(6), r.GetDecimal(7), r.GetDecimal(8),
                r.IsDBNull(9) ? null : r.GetDecimal(9), r.GetInt64(10), Text(r, 11)));
        }

        return lines;
    }

    private static async Task<List<InvoiceView>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var r = await command.ExecuteReaderAsync(ct);
        var list = new List<InvoiceView>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new InvoiceView(r.GetString(0), r.GetString(1), Text(r, 2), r.GetString(3), Time(r, 4)!.Value, Time(r, 5)!.Value, r.GetString(6), r.GetString(7),
                r.GetString(8), r.GetString(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.GetInt64(13), r.GetInt64(14), Time(r, 15)!.Value,
                Time(r, 16), Time(r, 17), r.GetInt64(18)));
        }

        return list;
    }

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
}

/// <summary>Opaque cursor: base64url of "period\ninvoice_id" of the last item returned.</summary>
public static class InvoiceCursor
{
    public static string Encode(string period, string invoiceId) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(period + "\n" + invoiceId)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string? cursor, out (string Period, string InvoiceId)? after)
    {
        after = null;
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }

        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/') + new string('=', (4 - (cursor.Length % 4)) % 4);
            var parts = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split('\n');
            after = parts.Length == 2 ? (parts[0], parts[1]) : null;
            return after is not null;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
