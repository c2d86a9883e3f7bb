using System.Reflection;
using Billing.Ledger.EventStore;
using Billing.Ledger.Postgres;
using Npgsql;
using Xunit;

namespace Billing.Testing;

/// <summary>A database of its own for one test class, migrated with every Billing assembly
/// next to the tests (so each project's migrations are applied).</summary>
public class DatabaseFixture : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        ConnectionString = await TestCluster.CreateDatabaseAsync("t_" + GetType().Name);
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        await new Migrator(DataSource, BillingAssemblies()).ApplyAsync();
    }

    public virtual async Task DisposeAsync() => await DataSource.DisposeAsync();

    /// <summary>An event store over this database with every Billing event type registered.</summary>
    /// <remarks>The calling test assembly's own event types are registered too.</remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public EventStore CreateStore(TimeProvider? clock = null, IEnumerable<IInlineProjection>? inline = null)
    {
        var registry = new EventTypeRegistry().RegisterAssembly(Assembly.GetCallingAssembly());
        foreach (var assembly in BillingAssemblies())
        {
            registry.RegisterAssembly(assembly);
        }

        return new EventStore(DataSource, registry, clock, inline);
    }

    public static IReadOnlyList<Assembly> BillingAssemblies()
    {
        var dir = AppContext.BaseDirectory;
        var names = Directory.GetFiles(dir, "Billing.*.dll").Append(Path.Combine(dir, "billing.dll"))
            .Where(File.Exists)
            .Select(Path.GetFileNameWithoutExtension)
            .Where(n => !n!.EndsWith(".Tests", StringComparison.Ordinal) && n != "Billing.Testing");
        return names.Select(n => Assembly.Load(n!)).ToList();
    }
}
