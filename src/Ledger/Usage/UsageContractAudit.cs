using Billing.Ledger.Pricing;
using Npgsql;

namespace Billing.Ledger.Usage;

/// <summary>One stored usage event that breaks the contract.</summary>
public sealed record ContractViolation(string TenantId, string ClientEventId, string Reason, DateTimeOffset Timestamp, DateTimeOffset RecordedAt);

/// <summary>Re-checks stored usage against the contract (<c>billing usage validate-contract</c>):
/// events recorded in the last <c>lookbackDays</c> whose tenant is unknown, metric is not in
/// the current catalogue, quantity is negative, or timestamp was more than five minutes ahead
/// of, or more than <c>lookbackDays</c> behind, the moment it was recorded.</summary>
public sealed class UsageContractAudit(NpgsqlDataSource dataSource, PlanCatalogue catalogue, TimeProvider clock)
{
    private const string Sql = """
        SELECT e.tenant_id, e.data->>'clientEventId', e.data->>'metric', (e.data->>'quantity')::numeric,
               (e.data->>'timestamp')::timestamptz, e.recorded_at, t.tenant_id IS NOT NULL
          FROM ledger.events e
          LEFT JOIN rm.tenants t ON t.tenant_id = e.tenant_id
         WHERE e.type = 'usage.recorded.v1' AND e.recorded_at >= $1
         ORDER BY e.recorded_at
        """;

    public async Task<IReadOnlyList<ContractViolation>> FindAsync(int lookbackDays, CancellationToken ct)
    {
        var since = clock.GetUtcNow().AddDays(-lookbackDays);
        await using var command = dataSource.CreateCommand(Sql);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = since });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var violations = new List<ContractViolation>();
        while (await reader.ReadAsync(ct))
        {
            var (tenant, id, metric, quantity) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetDecimal(3));
            var (at, recorded, known) = (reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetBoolean(6));
            var reason = !known ? "unknown_tenant"
                : !catalogue.Metrics.Contains(metric) ? "unknown_metric"
                : quantity < 0 ? "negative_quantity"
                : at > recorded + UsageOptions.FutureTolerance ? "timestamp_in_future"
                : at < recorded.AddDays(-lookbackDays) ? "timestamp_outside_lookback"
                : null;
            if (reason is not null)
            {
                violations.Add(new ContractViolation(tenant, id, reason, at, recorded));
            }
        }

        return violations;
    }
}
