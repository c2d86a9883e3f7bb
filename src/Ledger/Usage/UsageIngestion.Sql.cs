using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Usage;

public sealed partial class UsageIngestion
{
    private const string TenantsSql = "SELECT tenant_id, time_zone FROM rm.tenants WHERE tenant_id = ANY ($1)";

    private const string StoredSql = """
        SELECT d.tenant_id, d.client_event_id, d.payload_hash
          FROM unnest($1::text[], $2::text[]) AS k(tenant_id, client_event_id)
          JOIN ledger.usage_dedupe d USING (tenant_id, client_event_id)
        """;

    // A plain INSERT: a concurrent request that stored the same id makes this fail with a
    // unique violation and the whole unit of work roll back (never a silent skip).
    private const string DedupeSql = """
        INSERT INTO ledger.usage_dedupe (tenant_id, client_event_id, payload_hash, event_id)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[])
        """;

    private async Task<IReadOnlyDictionary<string, UsageTenant>> LoadTenantsAsync(string[] ids, CancellationToken ct)
    {
        await using var command = store.DataSource.CreateCommand(TenantsSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var tenants = new Dictionary<string, UsageTenant>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            tenants[reader.GetString(0)] = new UsageTenant(reader.GetString(0), TimeZoneInfo.FindSystemTimeZoneById(reader.GetString(1)));
        }

        return tenants;
    }

    private async Task<Dictionary<(string, string), string>> LoadStoredHashesAsync(IReadOnlyCollection<(string Tenant, string Id)> keys, CancellationToken ct)
    {
        var stored = new Dictionary<(string, string), string>();
        if (keys.Count == 0)
        {
            return stored;
        }

        await using var command = store.DataSource.CreateCommand(StoredSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys.Select(k => k.Tenant).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys.Select(k => k.Id).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            stored[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
        }

        return stored;
    }

    private static NpgsqlBatchCommand DedupeInsert(IReadOnlyList<PendingUsage> fresh)
    {
        var command = new NpgsqlBatchCommand(DedupeSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = fresh.Select(f => f.Tenant.TenantId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = fresh.Select(f => f.Input.ClientEventId!).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = fresh.Select(f => f.Hash).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = fresh.Select(f => UsageInput.EventIdOf(f.Tenant.TenantId, f.Input.ClientEventId!)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        return command;
    }
}
