using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Billing.Ledger.EventStore;

/// <summary>Finds a settled log position: one at or below which no transaction still running can
/// ever commit an event. Projections and the Stripe webhook dispatcher read the log in
/// <c>global_position</c> order up to such a position, which gives both guarantees they need:
/// <list type="bullet">
/// <item>No gaps: every event at or below it is committed (visible) or rolled back for good.</item>
/// <item>Stream order: <c>ledger.append_to_stream</c> takes its positions while holding the
/// stream's row lock, so within a stream positions grow with versions. The log's
/// <c>(tx_id, global_position)</c> order does not promise that: a transaction can take its id,
/// wait for the stream lock behind later ones and append a higher version with a lower tx_id,
/// which made version-guarded projections drop events (seen in LeadershipTests).</item>
/// </list>
/// How: read the identity sequence's last value L, then list the transactions holding a
/// RowExclusiveLock on <c>ledger.events</c> (every transaction that took a position up to L has
/// inserted, so it holds that lock until it ends). L is settled once none of them is still
/// running (each running transaction holds a lock on its own virtual transaction id). Unlike
/// the snapshot-xmin rule, unrelated long transactions (or other databases') do not hold it back.</summary>
public static partial class LogFence
{
    private const string SequenceSql = """
        SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM ledger.events_global_position_seq
        """;

    private const string WritersSql = """
        SELECT coalesce(array_agg(DISTINCT l.virtualtransaction), '{}')
          FROM pg_locks l
         WHERE l.locktype = 'relation' AND l.granted AND l.mode = 'RowExclusiveLock'
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.relation = 'ledger.events'::regclass
        """;

    private const string SettledSql = "SELECT NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'virtualxid' AND virtualxid = ANY ($1))";

    private const string HoldersSql = """
        SELECT coalesce(string_agg(DISTINCT pid::text, ', '), '') FROM pg_locks WHERE locktype = 'virtualxid' AND virtualxid = ANY ($1)
        """;

    /// <summary>How long a wait goes on before it is logged as a warning (by default).</summary>
    public static readonly TimeSpan DefaultWarnAfter = TimeSpan.FromSeconds(10);

    /// <summary>Waits (polling, briefly) until the positions allocated so far are settled and returns
    /// the highest. A transaction that appended events and stays open holds every reader of the log
    /// (projections, the webhook dispatcher) until it ends: when the wait passes
    /// <paramref name="warnAfter"/> (<see cref="DefaultWarnAfter"/>), <paramref name="logger"/> gets
    /// one warning naming the holding backends' pids, for <c>pg_stat_activity</c>.</summary>
    public static async Task<long> SettledAsync(NpgsqlDataSource dataSource, CancellationToken ct, ILogger? logger = null, TimeSpan? warnAfter = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        long last;
        await using (var sequence = new NpgsqlCommand(SequenceSql, connection))
        {
            last = (long)(await sequence.ExecuteScalarAsync(ct))!;
        }

        string[] writers;
        await using (var locks = new NpgsqlCommand(WritersSql, connection))
        {
            writers = (string[])(await locks.ExecuteScalarAsync(ct))!;
        }

        if (writers.Length == 0)
        {
            return last;
        }

        await using var settled = new NpgsqlCommand(SettledSql, connection);
        settled.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = writers, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        var pause = TimeSpan.FromMilliseconds(2);
        var started = Stopwatch.GetTimestamp();
        var warned = logger is null;
        while (await settled.ExecuteScalarAsync(ct) is not true)
        {
            if (!warned && Stopwatch.GetElapsedTime(started) >= (warnAfter ?? DefaultWarnAfter))
            {
                warned = true;
                await using var holders = new NpgsqlCommand(HoldersSql, connection);
                holders.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = writers, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
                LogHeld(logger!, last, Stopwatch.GetElapsedTime(started).TotalSeconds, (string)(await holders.ExecuteScalarAsync(ct))!);
            }

            await Task.Delay(pause, ct);
            pause = TimeSpan.FromMilliseconds(Math.Min(100, pause.TotalMilliseconds * 2));
        }

        return last;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The event log is held at position {Position} for {Seconds:F0} s by open transactions that appended events (backend pids {Pids}); readers of the log wait until they end")]
    private static partial void LogHeld(ILogger logger, long position, double seconds, string pids);
}
