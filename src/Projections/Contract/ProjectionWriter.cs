using Npgsql;

namespace Billing.Projections;

/// <summary>Which copy of a projection's tables a writer targets.</summary>
public enum TableTarget
{
    Live,
    Shadow,
    Temporary,
}

/// <summary>Resolves logical table names for one projection and target.</summary>
public static class ReadModelNames
{
    public const string Schema = "rm";

    public static string Live(string table) => $"{Schema}.{table}";

    public static string ShadowName(string table) => $"{table}__shadow";

    public static string Shadow(string table) => $"{Schema}.{ShadowName(table)}";

    public static string Temporary(string table) => $"pg_temp.{table}";

    public static string Resolve(string table, TableTarget target) => target switch
    {
        TableTarget.Live => Live(table),
        TableTarget.Shadow => Shadow(table),
        _ => Temporary(table),
    };
}

/// <summary>Collects a projection's SQL as batch commands for the engine to send in one round trip.</summary>
internal sealed class BatchWriter(IProjection projection, TableTarget target) : IProjectionWriter
{
    private readonly Dictionary<string, string> _tables = projection.Tables.ToDictionary(t => t.Name, t => ReadModelNames.Resolve(t.Name, target), StringComparer.Ordinal);

    public List<NpgsqlBatchCommand> Commands { get; } = [];

    public string Table(string logicalName) =>
        _tables.TryGetValue(logicalName, out var qualified)
            ? qualified
            : throw new ArgumentException($"Projection '{projection.Name}' does not own a table named '{logicalName}'.", nameof(logicalName));

    public void Execute(string sql, params object?[] args) => Commands.Add(ToCommand(sql, args));

    internal static NpgsqlBatchCommand ToCommand(string sql, object?[] args)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in args)
        {
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }
}
