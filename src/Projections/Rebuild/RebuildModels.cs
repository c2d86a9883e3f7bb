namespace Billing.Projections;

/// <summary>How to rebuild. <paramref name="VerifyOnly"/>: build the shadow and compare it with
/// the live tables, never swapping.</summary>
/// <param name="FoldRowLimit">For an <see cref="IBulkRebuildProjection"/>: the most rows its
/// in-memory fold may hold before the rebuild copies them and applies the remaining pages one
/// upsert batch at a time; 0 applies every page (no fold).</param>
public sealed record RebuildOptions(
    bool VerifyOnly = false,
    int PageSize = 50_000,
    IProgress<RebuildProgress>? Progress = null,
    int MaxDifferences = 10,
    long FoldRowLimit = RebuildOptions.DefaultFoldRowLimit)
{
    /// <summary>About 100–200 MB for rows of a few short columns.</summary>
    public const long DefaultFoldRowLimit = 500_000;
}

/// <summary>Progress of a rebuild, reported after every page.</summary>
/// <param name="Total">Events the projection handles in the log when the rebuild began (an estimate: more may arrive).</param>
public sealed record RebuildProgress(long Events, long Total, TimeSpan Elapsed)
{
    public double EventsPerSecond => Elapsed.TotalSeconds > 0 ? Events / Elapsed.TotalSeconds : 0;

    public double Percent => Total > 0 ? Math.Min(100, 100.0 * Events / Total) : 100;

    public TimeSpan? Eta => EventsPerSecond > 0 ? TimeSpan.FromSeconds(Math.Max(0, Total - Events) / EventsPerSecond) : null;

    public override string ToString() =>
        FormattableString.Invariant($"{Events}/{Total} events ({Percent:F1}%), {EventsPerSecond:F0} events/s, ETA {Eta?.TotalSeconds ?? 0:F0}s");
}

/// <summary>What a rebuild did.</summary>
/// <param name="Swapped">The shadow replaced the live tables (false for --verify).</param>
/// <param name="Verify">The comparison with the live tables (--verify only).</param>
public sealed record RebuildResult(string Projection, long Events, TimeSpan Elapsed, bool Swapped, VerifyReport? Verify)
{
    /// <summary>Where the time went, for benchmarks and tuning (not part of the API's JSON).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public RebuildTimings? Timings { get; init; }

    public double EventsPerSecond => Elapsed.TotalSeconds > 0 ? Events / Elapsed.TotalSeconds : 0;
}

/// <summary>A rebuild's wall time by phase. <paramref name="Replay"/> is the streamed build of
/// the shadow, split into <paramref name="WaitingForPages"/> (the writer idle: reading and
/// deserialising are the bottleneck) and <paramref name="Writing"/> (upserts, or fold and COPY);
/// <paramref name="Durable"/> is <c>SET LOGGED</c>; <paramref name="Finish"/> the locked
/// catch-up and swap (or comparison).</summary>
public sealed record RebuildTimings(TimeSpan Replay, TimeSpan WaitingForPages, TimeSpan Writing, TimeSpan Indexes, TimeSpan Durable, TimeSpan Finish)
{
    public override string ToString() => FormattableString.Invariant(
        $"replay {Replay.TotalSeconds:F2} s (waiting for pages {WaitingForPages.TotalSeconds:F2} s, writing {Writing.TotalSeconds:F2} s), indexes {Indexes.TotalSeconds:F2} s, set logged {Durable.TotalSeconds:F2} s, finish {Finish.TotalSeconds:F2} s");
}

/// <summary>Shadow against live, table by table.</summary>
public sealed record VerifyReport(IReadOnlyList<TableComparison> Tables)
{
    public bool Identical => Tables.All(t => t.Identical);
}

/// <summary>One table compared: row counts, an order-independent content checksum (md5 over the
/// sorted md5 of every row's text), and the first rows found on only one side.</summary>
public sealed record TableComparison(
    string Table,
    long LiveRows,
    long ShadowRows,
    string LiveChecksum,
    string ShadowChecksum,
    IReadOnlyList<string> OnlyInLive,
    IReadOnlyList<string> OnlyInShadow)
{
    public bool Identical => LiveRows == ShadowRows && LiveChecksum == ShadowChecksum;
}

/// <summary>Another rebuild of the same projection is running (on this or another node).</summary>
public sealed class RebuildInProgressException(string projection) : Exception($"A rebuild of '{projection}' is already running.")
{
    public string Projection { get; } = projection;
}

/// <summary>A rebuild or as-of build met an event the projection cannot apply; nothing was swapped.</summary>
public sealed class ReplayFailedException(string projection, long from, long to, Exception inner)
    : Exception($"Projection '{projection}' failed to apply the page {from}..{to}: {inner.Message}", inner)
{
    public string Projection { get; } = projection;

    public long From { get; } = from;

    public long To { get; } = to;
}
