using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.Usage;

public sealed partial class UsageIngestion
{
    private const string TenantsSql = "SELECT tenant_id, time_zone FROM rm.tenants WHERE tenant_id = ANY ($1)";

    // Claims every candidate id in one statement and returns the positions (1-based, in the
    // arrays' order) of those a committed transaction already holds, with the stored payload hash
    // when this statement's snapshot sees it (a resend of an event stored earlier: the usual case)
    // and null when that transaction committed while the claim waited for it (a race). Rows the
    // claim inserts are invisible to the rest of the statement, so the hash is never our own.
    // Inserting in key order makes concurrent batches take their dedupe keys in one global order:
    // a batch waits for a racing batch's commit on a shared id and then skips it, and waits
    // between batches can never form a cycle (streams are locked after all dedupe keys, in tenant
    // order; the rollup last, sorted).
    private const string ClaimSql = """
        WITH k AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[]) WITH ORDINALITY
                AS k(tenant_id, client_event_id, payload_hash, event_id, ord)
        ), claimed AS (
            INSERT INTO ledger.usage_dedupe (tenant_id, client_event_id, payload_hash, event_id)
            SELECT tenant_id, client_event_id, payload_hash, event_id FROM k ORDER BY tenant_id, client_event_id
            ON CONFLICT (tenant_id, client_event_id) DO NOTHING
            RETURNING tenant_id, client_event_id
        ), unclaimed AS (
            SELECT k.ord, k.tenant_id, k.client_event_id FROM k
             WHERE NOT EXISTS (SELECT 1 FROM claimed c WHERE c.tenant_id = k.tenant_id AND c.client_event_id = k.client_event_id)
        )
        SELECT u.ord, (SELECT d.payload_hash FROM ledger.usage_dedupe d
                        WHERE d.tenant_id = u.tenant_id AND d.client_event_id = u.client_event_id)
          FROM unclaimed u
        """;

    // For ids whose winner committed while the claim waited: a statement of its own (so a
    // snapshot of its own) sees their rows, which the claim's snapshot does not.
    private const string StoredSql = """
        SELECT k.ord, d.payload_hash
          FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(tenant_id, client_event_id, ord)
          JOIN ledger.usage_dedupe d USING (tenant_id, client_event_id)
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

    /// <summary>Inserts the dedupe rows of every candidate this transaction can claim; marks the
    /// others and classifies those whose stored hash the claim saw; returns the rest.</summary>
    private static async Task<List<Candidate>> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<Candidate> candidates, UsageResult[] results, CancellationToken ct)
    {
        var tenants = new string[candidates.Count];
        var ids = new string[candidates.Count];
        var hashes = new string[candidates.Count];
        var eventIds = new Guid[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            (tenants[i], ids[i], hashes[i], eventIds[i]) = (candidates[i].Tenant.TenantId, candidates[i].Input.ClientEventId!, candidates[i].Hash, candidates[i].EventId);
        }

        await using var command = new NpgsqlCommand(ClaimSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tenants });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = hashes });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = eventIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        var raced = new List<Candidate>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var candidate = candidates[(int)reader.GetInt64(0) - 1];
            candidate.Unclaimed = true;
            if (reader.IsDBNull(1))
            {
                raced.Add(candidate);
            }
            else
            {
                results[candidate.Index] = Repeat(candidate.Input, reader.GetString(1) == candidate.Hash, "the stored event");
            }
        }

        return raced;
    }

    /// <summary>An unclaimed id is stored: the same payload hash makes it a duplicate, another a
    /// conflict (the stored event stands).</summary>
    private static async Task ClassifyRacedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<Candidate> unclaimed, UsageResult[] results, CancellationToken ct)
    {
        if (unclaimed.Count == 0)
        {
            return;
        }

        var tenants = new string[unclaimed.Count];
        var ids = new string[unclaimed.Count];
        for (var i = 0; i < unclaimed.Count; i++)
        {
            (tenants[i], ids[i]) = (unclaimed[i].Tenant.TenantId, unclaimed[i].Input.ClientEventId!);
        }

        await using var command = new NpgsqlCommand(StoredSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tenants });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var candidate = unclaimed[(int)reader.GetInt64(0) - 1];
            results[candidate.Index] = Repeat(candidate.Input, reader.GetString(1) == candidate.Hash, "the stored event");
        }

        // Dedupe rows are never deleted (retention keeps them), so every unclaimed id has one.
        if (unclaimed.Find(c => results[c.Index] is null) is { } missing)
        {
            throw new InvalidOperationException($"Usage id '{missing.Input.ClientEventId}' of tenant '{missing.Tenant.TenantId}' was neither claimed nor found stored.");
        }
    }
}
