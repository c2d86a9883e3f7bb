using Billing.Ledger.EventStore;
using Npgsql;

namespace Billing.Host.Auth;

public sealed partial class ApiKeyStore
{
    private const string FindByHashSql = $"SELECT {Columns} FROM ledger.api_keys WHERE key_hash = $1";

    /// <summary>Makes sure a key supplied from outside (BILLING_BOOTSTRAP_ADMIN_KEY) exists with
    /// this role. Idempotent across restarts and across Hosts starting together. A bootstrap key
    /// an operator revoked stays revoked: the operator's decision wins over the environment.</summary>
    public async Task<ApiKeyInfo> EnsureAsync(string key, string role, string? description = null, EventMetadata? metadata = null, CancellationToken ct = default)
    {
        if (key.Length < ApiKeyFormat.MinimumExternalLength)
        {
            throw new ArgumentException($"A bootstrap key must be at least {ApiKeyFormat.MinimumExternalLength} characters long.", nameof(key));
        }

        Validate(role, tenantId: null);
        if (await FindByHashAsync(key, ct) is { } existing)
        {
            return existing;
        }

        try
        {
            return await InsertAsync(key, role, tenantId: null, description, metadata, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "api_keys_key_hash_key")
        {
            // Another Host inserted the same key between our read and our insert.
            return await FindByHashAsync(key, ct) ?? throw new InvalidOperationException("Bootstrap key vanished after a concurrent insert.", ex);
        }
    }

    private async Task<ApiKeyInfo?> FindByHashAsync(string key, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(FindByHashSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ApiKeyFormat.Hash(key) });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }
}
