using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.EventStore;

/// <summary>How a unit of work's appends become batch commands: one per append, except groups
/// of single-event appends at a known version, which share one set-based command.</summary>
public sealed partial class EventStore
{
    private long _groupedAppendStatements;

    /// <summary>Grouped statements this store has read results from: lets tests prove a unit
    /// of work took the grouped path rather than inferring it from timings.</summary>
    internal long GroupedAppendStatements => Interlocked.Read(ref _groupedAppendStatements);

    /// <summary>The append commands in the order they run. A group's command takes the place of
    /// its first member; moving the others is sound because no other append of the unit of work
    /// touches their streams or event ids.</summary>
    private List<AppendCommand> BuildAppendCommands(UnitOfWork uow, DateTimeOffset? recordedAt, bool bare)
    {
        var groups = GroupAppends(uow.Appends);
        var commands = new List<AppendCommand>(uow.Appends.Count);
        for (var i = 0; i < uow.Appends.Count; i++)
        {
            if (!groups.TryGetValue(i, out var group))
            {
                var append = uow.Appends[i];
                commands.Add(new(BuildAppendCommand(append, append.Metadata ?? uow.Metadata, recordedAt, bare), [i]));
            }
            else if (group[0] == i)
            {
                commands.Add(new(BuildGroupCommand(uow, group, recordedAt), group));
            }
        }

        return commands;
    }

    /// <summary>Each grouped append's group (its members in append order). Candidates hold one
    /// event, expect NoStream or Exact(n &gt; 0), and share neither stream nor event id with any
    /// other append of the unit of work: the set-based CTEs cannot see each other's writes, and
    /// a stream appended twice needs its appends in order. NoStream and Exact candidates form a
    /// group each when there are two or more of them.</summary>
    private static Dictionary<int, int[]> GroupAppends(IReadOnlyList<PendingAppend> appends)
    {
        var members = new Dictionary<int, int[]>();
        if (appends.Count < 2)
        {
            return members;
        }

        var streams = appends.CountBy(a => (a.TenantId, a.StreamId)).ToDictionary();
        var ids = appends.SelectMany(a => a.Events).CountBy(e => e.EventId).ToDictionary();
        var candidates = Enumerable.Range(0, appends.Count).Where(i => appends[i] is { Events: [var e], Expected.Value: >= 0 } a
            && streams[(a.TenantId, a.StreamId)] == 1 && ids[e.EventId] == 1);
        foreach (var group in candidates.GroupBy(i => appends[i].Expected.Value == 0).Select(g => g.ToArray()).Where(g => g.Length >= 2))
        {
            foreach (var i in group)
            {
                members[i] = group;
            }
        }

        return members;
    }

    /// <summary>Parameters of <see cref="NewStreamGroupSql"/> or <see cref="ExactGroupSql"/>: one
    /// array element per member, so the SQL text stays constant and can be prepared.</summary>
    private NpgsqlBatchCommand BuildGroupCommand(UnitOfWork uow, int[] group, DateTimeOffset? recordedAt)
    {
        var n = group.Length;
        var (tenants, streams, streamTypes, types, data) = (new string[n], new string[n], new string[n], new string[n], new string[n]);
        var (headers, correlations, causations, actors) = (new string?[n], new string?[n], new string?[n], new string?[n]);
        var (expected, ids) = (new long[n], new Guid[n]);
        for (var k = 0; k < n; k++)
        {
            var append = uow.Appends[group[k]];
            var metadata = append.Metadata ?? uow.Metadata;
            var e = append.Events[0];
            (tenants[k], streams[k], streamTypes[k], expected[k]) = (append.TenantId, append.StreamId, append.StreamType, append.Expected.Value);
            (ids[k], types[k], data[k], headers[k]) = (e.EventId, Registry.WireNameOf(e.Data.GetType()), Registry.Serialize(e.Data), Headers(metadata, e));
            (correlations[k], causations[k], actors[k]) = (metadata.CorrelationId, metadata.CausationId, metadata.Actor);
        }

        var exact = expected[0] > 0;
        var command = new NpgsqlBatchCommand(exact ? ExactGroupSql : NewStreamGroupSql);
        var p = command.Parameters;
        p.Add(Array(tenants, NpgsqlDbType.Text));
        p.Add(Array(streams, NpgsqlDbType.Text));
        p.Add(Array(streamTypes, NpgsqlDbType.Text));
        if (exact)
        {
            p.Add(Array(expected, NpgsqlDbType.Bigint));
        }

        p.Add(Array(ids, NpgsqlDbType.Uuid));
        p.Add(Array(types, NpgsqlDbType.Text));
        p.Add(Array(data, NpgsqlDbType.Jsonb));
        p.Add(Array(headers, NpgsqlDbType.Jsonb));
        p.Add(Array(correlations, NpgsqlDbType.Text));
        p.Add(Array(causations, NpgsqlDbType.Text));
        p.Add(Array(actors, NpgsqlDbType.Text));
        p.Add(new NpgsqlParameter { Value = recordedAt.HasValue ? recordedAt.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return command;
    }

    private static NpgsqlParameter<T[]> Array<T>(T[] values, NpgsqlDbType elementType) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };

    /// <summary>One batch command and the appends (indexes into the unit of work) whose results
    /// it returns: one append, or a group, whose rows carry the member's 1-based ordinal.</summary>
    private sealed record AppendCommand(NpgsqlBatchCommand Command, int[] Appends)
    {
        public bool Grouped => Appends.Length > 1;
    }
}
