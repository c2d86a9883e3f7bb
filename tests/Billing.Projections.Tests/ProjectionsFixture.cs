using Billing.Ledger.EventStore;
using Billing.Testing;
using Npgsql;

namespace Billing.Projections.Tests;

/// <summary>Shared helpers over a test class's own database.</summary>
public static class ProjectionTestExtensions
{
    public static async Task<ProjectionCatalog> RegisterAsync(this DatabaseFixture db, params ProjectionRegistration[] registrations)
    {
        var catalog = new ProjectionCatalog(registrations);
        await new ReadModelSchema(db.DataSource, catalog).EnsureAsync();
        return catalog;
    }

    public static async Task<T?> ScalarAsync<T>(this DatabaseFixture db, string sql, params object?[] args)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
        }

        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>Every row of a table as text, ordered, for whole-table comparisons.</summary>
    public static async Task<List<string>> RowsAsync(this DatabaseFixture db, string qualifiedTable)
    {
        await using var command = db.DataSource.CreateCommand($"SELECT t::text FROM {qualifiedTable} t ORDER BY 1");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    public static Task<AppendResult> DepositAsync(this EventStore store, string tenant, string account, params long[] amounts) =>
        store.AppendAsync(tenant, account, "account", ExpectedVersion.Any, amounts.Select(a => NewEvent.For(new Deposited(a))));
}
