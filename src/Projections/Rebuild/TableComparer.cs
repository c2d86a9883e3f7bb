using Npgsql;

namespace Billing.Projections;

/// <summary>Compares a projection's shadow tables with its live ones inside one transaction.</summary>
internal static class TableComparer
{
    private const string SummarySql = """
        SELECT (SELECT count(*) FROM {0}), (SELECT count(*) FROM {1}),
               (SELECT coalesce(md5(string_agg(h, '' ORDER BY h)), '') FROM (SELECT md5(t::text) AS h FROM {0} t) x),
               (SELECT coalesce(md5(string_agg(h, '' ORDER BY h)), '') FROM (SELECT md5(t::text) AS h FROM {1} t) y)
        """;

    private const string OnlyInFirstSql = "SELECT d::text FROM (SELECT * FROM {0} EXCEPT ALL SELECT * FROM {1}) d ORDER BY 1 LIMIT $1";

    public static async Task<VerifyReport> CompareAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IProjection projection, int maxDifferences, CancellationToken ct)
    {
        var tables = new List<TableComparison>();
        foreach (var table in projection.Tables)
        {
            var live = ReadModelNames.Live(table.Name);
            var shadow = ReadModelNames.Shadow(table.Name);
            await using var summary = new NpgsqlCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, SummarySql, live, shadow), connection, tx);
            long liveRows, shadowRows;
            string liveSum, shadowSum;
            await using (var reader = await summary.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                (liveRows, shadowRows, liveSum, shadowSum) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3));
            }

            var onlyLive = await RowsAsync(connection, tx, live, shadow, maxDifferences, ct);
            var onlyShadow = await RowsAsync(connection, tx, shadow, live, maxDifferences, ct);
            tables.Add(new TableComparison(table.Name, liveRows, shadowRows, liveSum, shadowSum, onlyLive, onlyShadow));
        }

        return new VerifyReport(tables);
    }

    private static async Task<IReadOnlyList<string>> RowsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string first, string second, int max, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, OnlyInFirstSql, first, second), connection, tx);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
