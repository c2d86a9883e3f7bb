using Npgsql;

namespace Billing.Projections.Engine;

/// <summary>Runs a projection's pure <see cref="IProjection.Apply"/> against a table target.</summary>
internal static class Projector
{
    public static List<NpgsqlBatchCommand> Commands(IProjection projection, IReadOnlyList<ProjectedEvent> events, TableTarget target)
    {
        var writer = new BatchWriter(projection, target);
        if (events.Count > 0)
        {
            projection.Apply(events, writer);
        }

        return writer.Commands;
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, IEnumerable<NpgsqlBatchCommand> commands, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, tx);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Failures worth retrying the same way later (connection loss, deadlock,
    /// serialization, shutdown), as opposed to an event the projection cannot handle.</summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("57P", StringComparison.Ordinal),
        NpgsqlException => true,
        TimeoutException => true,
        _ => false,
    };
}
