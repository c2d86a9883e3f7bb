using Npgsql;

namespace Billing.Ledger.EventStore;

/// <summary>Reading an append batch's results and mapping its errors back to the append that
/// caused them.</summary>
public sealed partial class EventStore
{
    /// <summary>A group returns one row per member, its ordinal first, in append order.</summary>
    private async Task ReadGroupAsync(NpgsqlDataReader reader, UnitOfWork uow, AppendCommand command, AppendResult?[] results, CancellationToken ct)
    {
        while (await reader.ReadAsync(ct))
        {
            var index = command.Appends[reader.GetInt64(0) - 1];
            results[index] = ReadResult(reader, uow.Appends[index], 1);
        }

        Interlocked.Increment(ref _groupedAppendStatements);
    }

    private static AppendResult ReadResult(NpgsqlDataReader reader, PendingAppend append, int offset) =>
        new(append.TenantId, append.StreamId, reader.GetInt64(offset), reader.GetInt64(offset + 1), reader.GetInt64(offset + 2), reader.GetInt64(offset + 3), reader.GetBoolean(offset + 4));

    private static EventStoreException? MapError(PostgresException ex, UnitOfWork uow, List<AppendCommand> commands, int current)
    {
        // Commands run in order and their results are read in order, so the command whose
        // result was being read when the error surfaced is the one that failed. Within a group,
        // ledger.append_grouped_fallback names the failing member's ordinal (migration 0085).
        var index = ex.BatchCommand is null ? current : commands.FindIndex(c => ReferenceEquals(c.Command, ex.BatchCommand));
        if (index < 0 || index >= commands.Count)
        {
            return null;
        }

        var command = commands[index];
        var member = command.Grouped ? GroupOrdinal(ex) - 1 : 0;
        if (member < 0 || member >= command.Appends.Length)
        {
            return null;
        }

        var append = uow.Appends[command.Appends[member]];
        return ex.SqlState switch
        {
            "LD001" => new WrongExpectedVersionException(append.TenantId, append.StreamId, append.Expected, long.Parse(ex.Hint ?? "0", System.Globalization.CultureInfo.InvariantCulture), ex),
            "LD002" => new StreamArchivedException(append.TenantId, append.StreamId, ex),
            "LD003" => new PartialDuplicateAppendException(append.TenantId, append.StreamId, ex),
            _ => null,
        };
    }

    /// <summary>The 1-based ordinal ledger.append_grouped_fallback puts in the error's COLUMN
    /// field (DETAIL would be redacted by Npgsql), or 0.</summary>
    private static int GroupOrdinal(PostgresException ex) =>
        int.TryParse(ex.ColumnName, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ordinal) ? ordinal : 0;
}
