using Billing.Ledger.EventStore;
using Billing.Ledger.Pricing;
using Billing.Ledger.Tenants;
using Npgsql;

namespace Billing.Ledger.Invoicing;

public sealed partial class InvoicePeriodClose
{
    private const string LockSql = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";

    private const string LaterInvoiceSql = "SELECT EXISTS (SELECT 1 FROM rm.invoices WHERE tenant_id = $1 AND period > $2)";

    private const string UsageSql = """
        SELECT metric, sum(quantity) FROM rm.usage_daily
         WHERE tenant_id = $1 AND day BETWEEN $2 AND $3 GROUP BY metric
        """;

    // Late usage: for each earlier period with a final invoice, what the rollup holds now minus
    // what final invoices have already accounted for that period.
    private const string LateSql = """
        WITH final AS (
            SELECT period, plan_id FROM rm.invoices WHERE tenant_id = $1 AND status <> 'draft' AND period < $2),
        used AS (
            SELECT to_char(day, 'YYYY-MM') AS period, metric, sum(quantity) AS q FROM rm.usage_daily
             WHERE tenant_id = $1 AND day < $3 AND to_char(day, 'YYYY-MM') IN (SELECT period FROM final) GROUP BY 1, 2),
        accounted AS (
            SELECT u.usage_period AS period, u.metric, sum(u.quantity) AS q
              FROM rm.invoice_usage u JOIN rm.invoices i USING (invoice_id)
             WHERE u.tenant_id = $1 AND i.status <> 'draft' GROUP BY 1, 2)
        SELECT used.period, used.metric, coalesce(accounted.q, 0), used.q, final.plan_id
          FROM used JOIN final USING (period) LEFT JOIN accounted USING (period, metric)
         WHERE used.q > coalesce(accounted.q, 0)
        """;

    private const string ConsumedAdjustmentsSql = """
        SELECT l.reference FROM rm.invoice_lines l JOIN rm.invoices i USING (invoice_id)
         WHERE i.tenant_id = $1 AND i.status <> 'draft' AND l.reference IS NOT NULL
        """;

    private const string CreditSql = "SELECT coalesce(sum(amount_minor), 0)::bigint FROM rm.tenant_balance_entries WHERE tenant_id = $1";

    private const string NextNumberSql = """
        INSERT INTO ledger.invoice_numbers AS n (year, last_number) VALUES ($1, 1)
        ON CONFLICT (year) DO UPDATE SET last_number = n.last_number + 1
        RETURNING last_number
        """;

    private const string TenantsSql = "SELECT tenant_id, time_zone FROM rm.tenants WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY tenant_id";

    private async Task<InvoiceInputs> GatherAsync(NpgsqlConnection c, NpgsqlTransaction tx, TenantState tenant, TimeZoneInfo zone, BillingPeriod period, DateTimeOffset now, CancellationToken ct)
    {
        var id = tenant.TenantId;
        var usage = (await QueryAsync(c, tx, UsageSql, r => (r.GetString(0), r.GetDecimal(1)), ct, id, period.FirstDay, period.LastDay)).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
        var late = await QueryAsync(c, tx, LateSql, r => new LateUsage(r.GetString(0), r.GetString(1), r.GetDecimal(2), r.GetDecimal(3), r.GetString(4)), ct, id, period.ToString(), period.FirstDay);
        var consumed = (await QueryAsync(c, tx, ConsumedAdjustmentsSql, r => r.GetString(0), ct, id)).ToHashSet(StringComparer.Ordinal);
        var adjustments = (await store.ReadStreamAsync(id, AdjustmentStreams.IdOf(id), ct: ct))
            .Select(e => e.Data).OfType<AdjustmentRecorded>().Where(a => !consumed.Contains(a.AdjustmentId)).ToList();
        var credit = await ScalarAsync<long>(c, tx, CreditSql, ct, id);
        return new InvoiceInputs(id, period, zone, tenant.Profile.Currency, PlanHistory(tenant, zone), usage, late, adjustments, credit, now);
    }

    /// <summary>The plan from the local day the tenant was created, then from the local day of each change.</summary>
    private static List<PlanFrom> PlanHistory(TenantState tenant, TimeZoneInfo zone)
    {
        var initial = tenant.PlanChanges.Count > 0 ? tenant.PlanChanges[0].FromPlanId : tenant.Profile.PlanId;
        var history = new List<PlanFrom> { new(BillingPeriod.LocalDate(tenant.CreatedAt, zone), initial) };
        history.AddRange(tenant.PlanChanges.Select(p => new PlanFrom(BillingPeriod.LocalDate(p.EffectiveAt, zone), p.ToPlanId)));
        return history;
    }

    private static async Task<string> NextNumberAsync(NpgsqlConnection c, NpgsqlTransaction tx, int year, CancellationToken ct)
    {
        var number = await ScalarAsync<long>(c, tx, NextNumberSql, ct, year);
        return $"INV-{year:D4}-{number:D6}";
    }

    private async Task<IReadOnlyList<(string, string)>> TenantsAsync(string? tenantId, CancellationToken ct)
    {
        await using var c = await store.DataSource.OpenConnectionAsync(ct);
        return await QueryAsync(c, null, TenantsSql, r => (r.GetString(0), r.GetString(1)), ct, (object?)tenantId ?? DBNull.Value);
    }

    private static async Task<List<T>> QueryAsync<T>(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct, params object[] args)
    {
        await using var command = Command(c, tx, sql, args);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(map(reader));
        }

        return list;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection c, NpgsqlTransaction tx, string sql, CancellationToken ct, params object[] args)
    {
        await using var command = Command(c, tx, sql, args);
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task ExecAsync(NpgsqlConnection c, NpgsqlTransaction tx, string sql, CancellationToken ct, params object[] args)
    {
        await using var command = Command(c, tx, sql, args);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, object[] args)
    {
        var command = new NpgsqlCommand(sql, c, tx);
        foreach (var arg in args)
        {
            command.Parameters.Add(arg is DBNull ? new NpgsqlParameter { Value = arg, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text } : new NpgsqlParameter { Value = arg });
        }

        return command;
    }
}
