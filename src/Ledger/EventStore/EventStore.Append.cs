using Npgsql;

namespace Billing.Ledger.EventStore;

public sealed partial class EventStore
{
    internal async Task<IReadOnlyList<AppendResult>> CommitAsync(UnitOfWork uow, NpgsqlConnection? connection, NpgsqlTransaction? transaction, CancellationToken ct)
    {
        var results = await CommitCoreAsync(uow, connection, transaction, ct);
        _metrics?.EventsAppended(results.Where(r => !r.Duplicate).Sum(r => r.LastVersion - r.FirstVersion + 1));
        uow.MarkWritten(results);
        if (transaction is null)
        {
            uow.NotifyCommitted();
        }

        return results;
    }

    private async Task<IReadOnlyList<AppendResult>> CommitCoreAsync(UnitOfWork uow, NpgsqlConnection? connection, NpgsqlTransaction? transaction, CancellationToken ct)
    {
        var ownsConnection = connection is null;
        connection ??= await _dataSource.OpenConnectionAsync(ct);
        try
        {
            // One round trip: every starting version is known, so inline projections can be
            // computed before sending and ride in the same batch (an implicit transaction when
            // the caller has none). Otherwise append first, then project, in one transaction.
            if (_inlineProjections.Count == 0 || uow.Appends.All(a => a.Expected.KnownCurrentVersion is not null))
            {
                ProjectInline(uow, versions: null);
                return await ExecuteAsync(uow, connection, transaction, includeCommands: true, allowBare: true, ct)
                    ?? await ExecuteAsync(uow, connection, transaction, includeCommands: true, allowBare: false, ct)
                    ?? throw new InvalidOperationException("The checked append returned no result.");
            }

            var ownsTransaction = transaction is null;
            transaction ??= await connection.BeginTransactionAsync(ct);
            try
            {
                var results = await ExecuteAsync(uow, connection, transaction, includeCommands: false, allowBare: false, ct)
                    ?? throw new InvalidOperationException("The checked append returned no result.");
                var extra = ExtraCommandsAfterAppend(uow, results);
                if (extra.BatchCommands.Count > 0)
                {
                    extra.Connection = connection;
                    extra.Transaction = transaction;
                    await extra.ExecuteNonQueryAsync(ct);
                }

                if (ownsTransaction)
                {
                    await transaction.CommitAsync(ct);
                }

                return results;
            }
            finally
            {
                if (ownsTransaction)
                {
                    await transaction.DisposeAsync();
                }
            }
        }
        finally
        {
            if (ownsConnection)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private NpgsqlBatch ExtraCommandsAfterAppend(UnitOfWork uow, IReadOnlyList<AppendResult> results)
    {
        ProjectInline(uow, results);
        var batch = new NpgsqlBatch();
        foreach (var command in uow.Commands)
        {
            batch.BatchCommands.Add(command);
        }

        return batch;
    }

    private void ProjectInline(UnitOfWork uow, IReadOnlyList<AppendResult>? versions)
    {
        if (_inlineProjections.Count == 0)
        {
            return;
        }

        var pending = new List<PendingEvent>();
        for (var i = 0; i < uow.Appends.Count; i++)
        {
            var append = uow.Appends[i];
            var first = versions?[i].FirstVersion ?? append.Expected.KnownCurrentVersion!.Value + 1;
            for (var j = 0; j < append.Events.Count; j++)
            {
                var e = append.Events[j];
                pending.Add(new PendingEvent(e.EventId, append.TenantId, append.StreamId, first + j, Registry.WireNameOf(e.Data.GetType()), e.Data, append.Metadata ?? uow.Metadata));
            }
        }

        foreach (var projection in _inlineProjections)
        {
            projection.Project(pending, uow);
        }
    }

    /// <summary>Sends the unit of work. With <paramref name="allowBare"/>, a unit of work that is
    /// a single single-event Exact append in the store's own (implicit) transaction goes without
    /// the fallback branch; null then means it missed the fast path and wrote nothing.</summary>
    private async Task<IReadOnlyList<AppendResult>?> ExecuteAsync(UnitOfWork uow, NpgsqlConnection connection, NpgsqlTransaction? transaction, bool includeCommands, bool allowBare, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        var bare = allowBare && transaction is null && includeCommands && uow.Commands.Count == 0
            && uow.Appends.Count == 1 && IsSingleExact(uow.Appends[0], bare: true);
        var commands = BuildAppendCommands(uow, RecordedAtOverride(), bare);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command.Command);
        }

        if (includeCommands)
        {
            foreach (var command in uow.Commands)
            {
                batch.BatchCommands.Add(command);
            }
        }

        var results = new AppendResult?[uow.Appends.Count];
        var current = 0;
        try
        {
            if (batch.BatchCommands.Count == commands.Count)
            {
                // Only append commands, each of a constant SQL text (groups pass arrays): prepared
                // once per physical connection (a no-op afterwards), which spares the server
                // parsing and planning them on every commit. Extra commands are left unprepared:
                // their SQL is the caller's and may vary, and every distinct prepared text stays
                // on the connection.
                await batch.PrepareAsync(ct);
            }

            await using var reader = await batch.ExecuteReaderAsync(ct);
            foreach (var command in commands)
            {
                if (command.Grouped)
                {
                    await ReadGroupAsync(reader, uow, command, results, ct);
                }
                else if (!await reader.ReadAsync(ct) && bare)
                {
                    return null;
                }
                else
                {
                    results[command.Appends[0]] = ReadResult(reader, uow.Appends[command.Appends[0]], 0);
                }

                current++;
                await reader.NextResultAsync(ct);
            }

            while (await reader.NextResultAsync(ct))
            {
                // Drain the extra commands' results so their errors surface here.
            }
        }
        catch (PostgresException ex) when (MapError(ex, uow, commands, current) is { } mapped)
        {
            throw mapped;
        }
        finally
        {
            // Extra commands belong to the unit of work, not to this batch: detach them so a
            // retry of the unit of work can reuse them.
            if (includeCommands)
            {
                foreach (var command in uow.Commands)
                {
                    batch.BatchCommands.Remove(command);
                }
            }
        }

        return results.Select(r => r ?? throw new InvalidOperationException("An append returned no result.")).ToList();
    }
}
