using Billing.Ledger.Postgres;
using Billing.Testing;
using Npgsql;

namespace Billing.Ledger.Tests.EventStore;

public sealed class MigrationTests
{
    [Fact]
    public async Task migrations_run_concurrently_from_several_migrators_without_error_and_once_each()
    {
        var connectionString = await TestCluster.CreateDatabaseAsync("t_migrations");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var assemblies = DatabaseFixture.BillingAssemblies();

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => new Migrator(dataSource, assemblies).ApplyAsync())));

        var migrator = new Migrator(dataSource, assemblies);
        Assert.Equal(migrator.Migrations.Count, runs.Sum(r => r.Count));
        Assert.Empty(await migrator.PendingAsync());
        Assert.Empty(await migrator.ApplyAsync());
        await using var count = dataSource.CreateCommand("SELECT count(*) FROM ledger.schema_migrations");
        Assert.Equal((long)migrator.Migrations.Count, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task an_empty_database_reports_every_migration_as_pending()
    {
        var connectionString = await TestCluster.CreateDatabaseAsync("t_pending");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        var pending = await Migrator.ForLedger(dataSource).PendingAsync();

        Assert.Contains(pending, m => m.Version == 1 && m.Name == "event_store");
    }
}
