using Npgsql;

namespace Billing.Projections;

/// <summary>Optional for projections whose tables a rebuild can hold in memory: instead of
/// sending every page's upserts, the rebuild folds the events into an in-memory model of the
/// tables and writes it once by binary COPY into the empty shadow tables. The live paths
/// (inline, daemon, the rebuild's final catch-up) keep using <see cref="IProjection.Apply"/>.</summary>
/// <remarks>
/// The fold must leave exactly the rows that <see cref="IProjection.Apply"/> would leave in
/// empty tables after the same events in the same order (tests compare both with the live
/// tables). A rebuild that sees the fold grow past <see cref="RebuildOptions.FoldRowLimit"/>
/// copies what it holds and applies the remaining pages with <see cref="IProjection.Apply"/>,
/// so a fold never has to handle rows that are already in the tables.
/// </remarks>
public interface IBulkRebuildProjection : IProjection
{
    /// <summary>An empty in-memory model of this projection's tables, for one rebuild.</summary>
    IProjectionFold StartFold();
}

/// <summary>A projection's tables held in memory during one rebuild.</summary>
public interface IProjectionFold
{
    /// <summary>Rows held now; bounds the memory a rebuild spends on the fold.</summary>
    long Rows { get; }

    /// <summary>Advances the model by a batch of events in commit order (the events
    /// <see cref="IProjection.Apply"/> would receive). Pure, like Apply.</summary>
    void Add(IReadOnlyList<ProjectedEvent> events);

    /// <summary>Writes every row held into the projection's tables, which hold none yet.</summary>
    Task CopyToAsync(IBulkCopyTarget target, CancellationToken ct);
}

/// <summary>Opens binary COPYs into a projection's tables, resolving logical names like
/// <see cref="IProjectionWriter.Table"/>.</summary>
public interface IBulkCopyTarget
{
    /// <summary>Starts <c>COPY table (columns) FROM STDIN (FORMAT BINARY)</c>; write rows, then
    /// <see cref="NpgsqlBinaryImporter.CompleteAsync"/>, then dispose.</summary>
    Task<NpgsqlBinaryImporter> BeginAsync(string logicalTable, string columns, CancellationToken ct);
}
