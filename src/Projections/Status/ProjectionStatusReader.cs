using Billing.Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.Projections;

/// <summary>Reads every projection's checkpoint, lag, owner and state in a few queries; cheap
/// enough for health checks and metric scrapes.</summary>
public sealed class ProjectionStatusReader(EventStore store, ProjectionCatalog catalog)
{
    /// <summary>Lag counts stop here so a scrape never scans a huge backlog.</summary>
    public const int LagCountCap = 100_000;

    private const string StateSql = """
        SELECT s.name, s.mode, s.state, (SELECT coalesce(max(global_position), 0) FROM ledger.events), s.checkpoint_position, s.owner_node, s.heartbeat_at,
               s.last_applied_at, s.paused_reason, s.rebuild_progress,
               coalesce(s.rebuild_heartbeat_at > now() - $1::interval, false),
               coalesce(s.heartbeat_at > now() - $1::interval, false),
               (SELECT count(*) FROM ledger.projection_dead_letters d WHERE d.projection = s.name AND d.status = 'open')
          FROM ledger.projection_state s
         ORDER BY s.name
        """;

    // LIMIT is LagCountCap.
    private const string LagSql = """
        SELECT count(*), coalesce(extract(epoch FROM now() - min(recorded_at)), 0)::float8
          FROM (SELECT recorded_at FROM ledger.events
                 WHERE global_position > $1
                   AND ($2::text[] IS NULL OR type = ANY ($2))
                 ORDER BY global_position
                 LIMIT 100000) pending
        """;

    /// <summary>A leader whose heartbeat is older than this is reported unhealthy.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<ProjectionStatus>> ReadAllAsync(CancellationToken ct = default)
    {
        var result = new List<ProjectionStatus>();
        await using var command = store.DataSource.CreateCommand(StateSql);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = StaleAfter, NpgsqlDbType = NpgsqlDbType.Interval });
        var rows = new List<(ProjectionStatus Status, bool Fresh)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add(ReadRow(reader));
            }
        }

        foreach (var (status, fresh) in rows.Where(r => catalog.TryGet(r.Status.Name, out _)))
        {
            result.Add(status.Mode == "inline" ? status with { Checkpoint = status.Head, Healthy = true } : await WithLagAsync(status, fresh, ct));
        }

        return result;
    }

    public async Task<ProjectionStatus> ReadAsync(string name, CancellationToken ct = default) =>
        (await ReadAllAsync(ct)).FirstOrDefault(s => s.Name == name) ?? throw new UnknownProjectionException(name);

    private static (ProjectionStatus, bool) ReadRow(NpgsqlDataReader r)
    {
        var rebuilding = r.GetBoolean(10);
        var state = rebuilding ? "rebuilding" : r.GetString(2);
        var status = new ProjectionStatus(
            r.GetString(0), r.GetString(1), state, r.GetInt64(4), r.GetInt64(3), 0, 0,
            r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6), false, r.GetInt64(12),
            r.IsDBNull(8) ? null : r.GetString(8), rebuilding && !r.IsDBNull(9) ? r.GetString(9) : null,
            r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7));
        return (status, r.GetBoolean(11));
    }

    private async Task<ProjectionStatus> WithLagAsync(ProjectionStatus status, bool fresh, CancellationToken ct)
    {
        var types = catalog.Get(status.Name).Projection.EventTypes;
        await using var command = store.DataSource.CreateCommand(LagSql);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = status.Checkpoint });
        command.Parameters.Add(new NpgsqlParameter { Value = types?.ToArray() ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var owner = fresh ? status.Owner : null;
        return status with
        {
            LagEvents = reader.GetInt64(0),
            LagSeconds = Math.Max(0, reader.GetDouble(1)),
            Owner = owner,
            Healthy = owner is not null && status.State != "paused",
        };
    }
}
