using Billing.Host.Database;
using Billing.Ledger.EventStore;
using Billing.Ledger.Observability;
using Billing.Ledger.Postgres;
using Npgsql;

namespace Billing.Host.Cli;

/// <summary>The ledger database for a CLI command, found exactly as the Host finds it
/// (<c>ConnectionStrings:Ledger</c> / <c>BILLING_DB</c>, else the embedded cluster under the data
/// directory) and migrated. An embedded cluster this command started is stopped on dispose; one
/// a running Host already holds is left running.</summary>
public sealed class CliDatabase : IAsyncDisposable
{
    private readonly EmbeddedPostgres? _startedHere;

    private CliDatabase(NpgsqlDataSource dataSource, EmbeddedPostgres? startedHere)
    {
        DataSource = dataSource;
        _startedHere = startedHere;
        Migrator = new Migrator(dataSource, BillingApp.Assemblies);
        var registry = new EventTypeRegistry();
        foreach (var assembly in BillingApp.Assemblies)
        {
            registry.RegisterAssembly(assembly);
        }

        Events = new EventStore(dataSource, registry);
    }

    public NpgsqlDataSource DataSource { get; }

    public Migrator Migrator { get; }

    public EventStore Events { get; }

    /// <summary>Metadata for events a CLI command appends: actor <c>cli:&lt;os user&gt;</c>.</summary>
    public static EventMetadata Metadata => new(CorrelationId: CorrelationScope.Current, Actor: "cli:" + Environment.UserName);

    /// <summary>The Host's configuration sources: appsettings.json, then environment variables.</summary>
    public static IConfiguration Configuration() => new ConfigurationBuilder()
        .SetBasePath(Directory.GetCurrentDirectory())
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .Build();

    public static async Task<CliDatabase> OpenAsync(IConfiguration configuration, bool migrate, CancellationToken ct)
    {
        EmbeddedPostgres? startedHere = null;
        var connectionString = LedgerDatabase.ConfiguredConnectionString(configuration);
        if (connectionString is null)
        {
            var (server, embedded) = await LedgerDatabase.StartEmbeddedAsync(configuration, ct);
            startedHere = server.Adopted ? null : server;
            connectionString = embedded;
        }

        var database = new CliDatabase(NpgsqlDataSource.Create(connectionString), startedHere);
        if (migrate)
        {
            await database.Migrator.ApplyAsync(ct);
        }

        return database;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_startedHere is not null)
        {
            await _startedHere.StopAsync(CancellationToken.None);
        }
    }
}
