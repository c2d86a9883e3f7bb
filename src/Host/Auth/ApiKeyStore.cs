using Billing.Ledger.EventStore;
using Npgsql;

namespace Billing.Host.Auth;

/// <summary>Creates, authenticates, lists and revokes API keys (table <c>ledger.api_keys</c>).
/// Only hashes are stored; the plain key exists in the caller's hands once, at creation. Every
/// creation and revocation commits together with its audit event (<see cref="ApiKeyCreated"/>,
/// <see cref="ApiKeyRevoked"/>) in one transaction.</summary>
public sealed partial class ApiKeyStore(EventStore events, TimeProvider clock)
{
    private readonly NpgsqlDataSource _dataSource = events.DataSource;

    private const string Columns = "prefix, role, tenant_id, description, created_at, revoked_at";

    private const string InsertSql = """
        INSERT INTO ledger.api_keys (prefix, key_hash, role, tenant_id, description, created_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        """;

    private const string AuthenticateSql = $"SELECT {Columns} FROM ledger.api_keys WHERE key_hash = $1 AND revoked_at IS NULL";

    private const string ListSql = $"SELECT {Columns} FROM ledger.api_keys WHERE $1 OR revoked_at IS NULL ORDER BY created_at, prefix";

    private const string RevokeSql = "UPDATE ledger.api_keys SET revoked_at = $2 WHERE prefix = $1 AND revoked_at IS NULL";

    private const string AnyActiveSql = "SELECT EXISTS (SELECT 1 FROM ledger.api_keys WHERE revoked_at IS NULL)";

    /// <summary>Creates a new random key. Throws <see cref="ArgumentException"/> for an unknown
    /// role, or a tenant binding that does not match the role.</summary>
    public async Task<CreatedApiKey> CreateAsync(string role, string? tenantId = null, string? description = null, EventMetadata? metadata = null, CancellationToken ct = default)
    {
        Validate(role, tenantId);
        var key = ApiKeyFormat.NewKey();
        var info = await InsertAsync(key, role, tenantId, description, metadata, ct);
        return new CreatedApiKey(key, info);
    }

    /// <summary>The active key matching <paramref name="key"/>, or null (unknown or revoked).</summary>
    public async Task<ApiKeyInfo?> AuthenticateAsync(string key, CancellationToken ct = default)
    {
        await using var command = _dataSource.CreateCommand(AuthenticateSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ApiKeyFormat.Hash(key) });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(bool includeRevoked = false, CancellationToken ct = default)
    {
        await using var command = _dataSource.CreateCommand(ListSql);
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = includeRevoked });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var keys = new List<ApiKeyInfo>();
        while (await reader.ReadAsync(ct))
        {
            keys.Add(Read(reader));
        }

        return keys;
    }

    /// <summary>Revokes the active key with this prefix; false when there is none.</summary>
    public async Task<bool> RevokeAsync(string prefix, EventMetadata? metadata = null, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var command = new NpgsqlCommand(RevokeSql, connection, tx);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        if (await command.ExecuteNonQueryAsync(ct) != 1)
        {
            return false;
        }

        var uow = events.BeginUnitOfWork(metadata)
            .Append(ApiKeyStream.TenantId, ApiKeyStream.StreamId, ApiKeyStream.StreamType, ExpectedVersion.Any, new ApiKeyRevoked(prefix, now));
        await uow.CommitAsync(connection, tx, ct);
        await tx.CommitAsync(ct);
        uow.NotifyCommitted();
        return true;
    }

    public async Task<bool> AnyActiveAsync(CancellationToken ct = default)
    {
        await using var command = _dataSource.CreateCommand(AnyActiveSql);
        return await command.ExecuteScalarAsync(ct) is true;
    }

    private async Task<ApiKeyInfo> InsertAsync(string key, string role, string? tenantId, string? description, EventMetadata? metadata, CancellationToken ct)
    {
        var info = new ApiKeyInfo(ApiKeyFormat.PrefixOf(key), role, tenantId, description, clock.GetUtcNow(), null);
        var insert = new NpgsqlBatchCommand(InsertSql);
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = info.Prefix });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ApiKeyFormat.Hash(key) });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = role });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)description ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = info.CreatedAt });
        await events.BeginUnitOfWork(metadata)
            .Append(ApiKeyStream.TenantId, ApiKeyStream.StreamId, ApiKeyStream.StreamType, ExpectedVersion.Any, new ApiKeyCreated(info.Prefix, role, tenantId, description, info.CreatedAt))
            .AddCommand(insert)
            .CommitAsync(ct);
        return info;
    }

    private static void Validate(string role, string? tenantId)
    {
        if (role is not (Roles.Admin or Roles.Finance or Roles.Ingest or Roles.Tenant))
        {
            throw new ArgumentException($"Unknown role '{role}'; expected admin, finance, ingest or tenant.", nameof(role));
        }

        if (role == Roles.Tenant && string.IsNullOrWhiteSpace(tenantId))
        {
            throw new ArgumentException("A tenant key needs a tenant (--tenant).", nameof(tenantId));
        }

        if (tenantId is not null && tenantId.StartsWith('_'))
        {
            throw new ArgumentException($"Tenant ids starting with '_' are reserved for operator streams: '{tenantId}'.", nameof(tenantId));
        }

        if (role != Roles.Tenant && tenantId is not null)
        {
            throw new ArgumentException($"Only tenant keys are bound to a tenant; a {role} key sees every tenant.", nameof(tenantId));
        }
    }

    private static ApiKeyInfo Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.GetFieldValue<DateTimeOffset>(4),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
}
