using System.Diagnostics;
using Billing.Ledger.EventStore;
using Billing.Projections.Daemon;
using Billing.Projections.Engine;
using Npgsql;

namespace Billing.Projections;

/// <summary>Rebuilds a projection from position zero into shadow tables
/// (<c>rm.x__shadow</c>), then, in one transaction, catches the shadow up to the live state
/// and swaps it in by renaming, so readers see either the old tables or the complete new ones.
/// With <see cref="RebuildOptions.VerifyOnly"/> it compares instead of swapping.</summary>
public sealed partial class ProjectionRebuilder(EventStore store, ProjectionCatalog catalog, string? nodeId = null)
{
    private const string MarkSql = """
        UPDATE ledger.projection_state
           SET rebuild_node = $2, rebuild_heartbeat_at = now(), rebuild_progress = $3
         WHERE name = $1
        """;

    private const string ClearSql = "UPDATE ledger.projection_state SET rebuild_node = NULL, rebuild_heartbeat_at = NULL, rebuild_progress = NULL WHERE name = $1";

    private const string CountSql = "SELECT count(*) FROM ledger.events WHERE ($1::text[] IS NULL OR type = ANY ($1))";

    private readonly string _node = nodeId ?? $"{Environment.MachineName}:{Environment.ProcessId}";

    public async Task<RebuildResult> RebuildAsync(string name, RebuildOptions? options = null, CancellationToken ct = default)
    {
        options ??= new RebuildOptions();
        var registration = catalog.Get(name);
        await using var lease = await ProjectionLease.TryAcquireAsync(store.DataSource, ProjectionLease.RebuildClass, name, ct)
            ?? throw new RebuildInProgressException(name);
        var clock = Stopwatch.StartNew();
        try
        {
            await StampAsync(lease.Connection, MarkSql, name, "starting", ct);
            var total = await CountAsync(registration.Projection.EventTypes, ct);
            await using var writer = await store.DataSource.OpenConnectionAsync(ct);
            await CreateShadowAsync(writer, registration.Projection, ct);

            // An async projection's shadow is built up to the live checkpoint as it was now and
            // caught up to where it is at swap time; an inline one up to a settled head.
            var initial = await ProjectionStateStore.LoadAsync(store.DataSource, name, ct);
            var bound = registration.Mode == ProjectionMode.Async ? initial.Checkpoint : await LogFence.SettledAsync(store.DataSource, ct);
            var query = new LogQuery(0, options.PageSize, bound, registration.Projection.EventTypes);
            var lastReport = TimeSpan.Zero;
            var started = clock.Elapsed;
            var replay = new Replay(store, registration.Projection, options.FoldRowLimit);
            var built = await replay.RunAsync(writer, null, TableTarget.Shadow, query, async events =>
            {
                var progress = new RebuildProgress(events, total, clock.Elapsed);
                options.Progress?.Report(progress);
                if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(1))
                {
                    lastReport = clock.Elapsed;
                    await StampAsync(lease.Connection, MarkSql, name, progress.ToString(), ct);
                }
            }, ct);

            var replayed = clock.Elapsed;
            await CreateShadowIndexesAsync(writer, registration.Projection, ct);
            var indexed = clock.Elapsed;
            if (!options.VerifyOnly)
            {
                await MakeShadowDurableAsync(writer, registration.Projection, ct);
            }

            var durable = clock.Elapsed;
            var (caughtUp, verify) = await FinishAsync(writer, registration, built.Last, options, ct);
            var events = built.Count + caughtUp;
            options.Progress?.Report(new RebuildProgress(events, Math.Max(total, events), clock.Elapsed));
            return new RebuildResult(name, events, clock.Elapsed, !options.VerifyOnly, verify)
            {
                Timings = new RebuildTimings(replayed - started, built.WaitingForPages, built.Writing, indexed - replayed, durable - indexed, clock.Elapsed - durable),
            };
        }
        finally
        {
            // A broken lease connection means the rebuild is failing anyway; its heartbeat then
            // goes stale and status stops showing "rebuilding" on its own.
            if (lease.Connection.State == System.Data.ConnectionState.Open)
            {
                await StampAsync(lease.Connection, ClearSql, name, null, CancellationToken.None);
            }
        }
    }

    private static async Task CreateShadowAsync(NpgsqlConnection connection, IProjection projection, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var table in projection.Tables)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"DROP TABLE IF EXISTS {ReadModelNames.Shadow(table.Name)}"));
            // Only the primary key now (upserts need it); other indexes are built once, at the end.
            var create = ReadModelSchema.CreateTableSql(table with { Indexes = null }, TableTarget.Shadow, ifNotExists: false);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(create.Single()));
        }

        await batch.ExecuteNonQueryAsync(ct);
    }

    private async Task<long> CountAsync(IReadOnlyCollection<string>? types, CancellationToken ct)
    {
        await using var command = store.DataSource.CreateCommand(CountSql);
        command.Parameters.Add(new NpgsqlParameter { Value = types?.ToArray() ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task StampAsync(NpgsqlConnection connection, string sql, string name, string? progress, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(ProjectionStateStore.Text(name));
        if (progress is not null)
        {
            command.Parameters.Add(ProjectionStateStore.Text(_node));
            command.Parameters.Add(ProjectionStateStore.Text(progress));
        }

        await command.ExecuteNonQueryAsync(ct);
    }
}
