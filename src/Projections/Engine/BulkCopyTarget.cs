using Npgsql;

namespace Billing.Projections.Engine;

/// <summary>Binary COPY into one projection's tables of a target, on the writer's connection.</summary>
internal sealed class BulkCopyTarget(NpgsqlConnection connection, IProjection projection, TableTarget target) : IBulkCopyTarget
{
    public Task<NpgsqlBinaryImporter> BeginAsync(string logicalTable, string columns, CancellationToken ct)
    {
        if (!projection.Tables.Any(t => t.Name == logicalTable))
        {
            throw new ArgumentException($"Projection '{projection.Name}' does not own a table named '{logicalTable}'.", nameof(logicalTable));
        }

        return connection.BeginBinaryImportAsync($"COPY {ReadModelNames.Resolve(logicalTable, target)} ({columns}) FROM STDIN (FORMAT BINARY)", ct);
    }
}
