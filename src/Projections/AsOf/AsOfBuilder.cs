using Billing.Ledger.EventStore;
using Billing.Projections.Engine;
using Npgsql;

namespace Billing.Projections;

/// <summary>Where an as-of build stops: at a log position, at a moment (events recorded at or
/// before it), or both; optionally for one tenant's events only.</summary>
public sealed record AsOfOptions(long? Position = null, DateTimeOffset? At = null, string? TenantId = null, int PageSize = 5_000)
{
    public override string ToString() =>
        FormattableString.Invariant($"position={Position?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "head"} at={At?.UtcDateTime.ToString("O") ?? "now"} tenant={TenantId ?? "all"}");
}

/// <summary>Builds a projection as it stood at a past position or moment into temporary tables
/// (<c>pg_temp.&lt;table&gt;</c>) of one connection, for audits: the same projection code, the
/// same events, replayed only up to the bound. The live tables are never touched.</summary>
public sealed partial class AsOfBuilder(EventStore store, ProjectionCatalog catalog)
{
    /// <summary>Builds into temporary tables on <paramref name="connection"/>; they live as long as
    /// that session. Returns the number of events replayed.</summary>
    public async Task<long> BuildAsync(NpgsqlConnection connection, string name, AsOfOptions options, CancellationToken ct = default)
    {
        var projection = catalog.Get(name).Projection;
        foreach (var table in projection.Tables)
        {
            await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {ReadModelNames.Temporary(table.Name)}", connection);
            await drop.ExecuteNonQueryAsync(ct);
            foreach (var sql in ReadModelSchema.CreateTableSql(table, TableTarget.Temporary, ifNotExists: false))
            {
                await using var create = new NpgsqlCommand(sql, connection);
                await create.ExecuteNonQueryAsync(ct);
            }
        }

        var settled = await LogFence.SettledAsync(store.DataSource, ct);
        var upTo = options.Position is { } position ? Math.Min(position, settled) : settled;
        var query = new LogQuery(0, options.PageSize, upTo, projection.EventTypes, options.TenantId, options.At);
        // The temporary tables start empty, so a bulk projection may fold and COPY, as in a rebuild.
        var replay = new Replay(store, projection, RebuildOptions.DefaultFoldRowLimit);
        return (await replay.RunAsync(connection, null, TableTarget.Temporary, query, null, ct)).Count;
    }
}
