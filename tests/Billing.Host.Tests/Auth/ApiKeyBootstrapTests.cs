using Billing.Host.Auth;
using Billing.Ledger.EventStore;
using Billing.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Billing.Host.Tests.Auth;

public sealed class ApiKeyBootstrapTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly List<string> _directories = [];

    /// <summary>The test's own data directory (it receives an admin key file): deleted afterwards.</summary>
    private string TempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "billing-boot-" + Guid.NewGuid().ToString("N")[..12]);
        _directories.Add(dir);
        return dir;
    }

    public void Dispose()
    {
        foreach (var dir in _directories.Where(Directory.Exists))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private const string BootstrapKey = "ops-automation-key-0123456789abcdefghijkl";

    private static IConfiguration Config(string dataDir, string? bootstrap = null) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["BILLING_DATA_DIR"] = dataDir, [ApiKeyBootstrap.BootstrapVariable] = bootstrap })
        .Build();

    private ApiKeyStore Store() => new(db.CreateStore(), TimeProvider.System);

    [Fact]
    public async Task embedded_first_start_writes_an_admin_key_file_readable_only_by_the_owner_and_logs_only_its_path()
    {
        var store = Store();
        foreach (var existing in await store.ListAsync())
        {
            await store.RevokeAsync(existing.Prefix);
        }

        var dataDir = TempDirectory();
        var logger = new ListLogger();

        await ApiKeyBootstrap.RunAsync(store, Config(dataDir), embedded: true, logger, CancellationToken.None);

        var file = Path.Combine(dataDir, "admin-key");
        var key = (await File.ReadAllTextAsync(file)).Trim();
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        Assert.Equal(Roles.Admin, (await store.AuthenticateAsync(key))?.Role);
        var line = Assert.Single(logger.Lines);
        Assert.Contains(file, line, StringComparison.Ordinal);
        Assert.DoesNotContain(key, line, StringComparison.Ordinal);

        await ApiKeyBootstrap.RunAsync(store, Config(dataDir), embedded: true, logger, CancellationToken.None);
        Assert.Single(logger.Lines);
    }

    [Fact]
    public async Task the_bootstrap_admin_key_is_seeded_once_and_a_revocation_sticks()
    {
        var store = Store();
        var dataDir = TempDirectory();

        await ApiKeyBootstrap.RunAsync(store, Config(dataDir, BootstrapKey), embedded: false, new ListLogger(), CancellationToken.None);
        await ApiKeyBootstrap.RunAsync(store, Config(dataDir, BootstrapKey), embedded: false, new ListLogger(), CancellationToken.None);

        var seeded = await store.AuthenticateAsync(BootstrapKey);
        Assert.Equal(Roles.Admin, seeded?.Role);
        Assert.StartsWith("boot_", seeded!.Prefix, StringComparison.Ordinal);
        Assert.Single(await store.ListAsync(includeRevoked: true), k => k.Prefix == seeded.Prefix);

        await store.RevokeAsync(seeded.Prefix);
        await ApiKeyBootstrap.RunAsync(store, Config(dataDir, BootstrapKey), embedded: false, new ListLogger(), CancellationToken.None);
        Assert.Null(await store.AuthenticateAsync(BootstrapKey));
        Assert.False(File.Exists(Path.Combine(dataDir, "admin-key")));
    }

    [Fact]
    public async Task a_short_bootstrap_key_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store().EnsureAsync("too-short", Roles.Admin));
    }

    [Fact]
    public async Task key_creation_and_revocation_are_audited_as_events_without_the_key()
    {
        var store = Store();
        var created = await store.CreateAsync(Roles.Finance, metadata: new EventMetadata(Actor: "cli:test"));
        await store.RevokeAsync(created.Info.Prefix, new EventMetadata(Actor: "cli:test"));

        var events = await db.CreateStore().ReadStreamAsync(ApiKeyStream.TenantId, ApiKeyStream.StreamId);

        Assert.Contains(events, e => e.Data is ApiKeyCreated c && c.Prefix == created.Info.Prefix && e.Metadata.Actor == "cli:test");
        Assert.Contains(events, e => e.Data is ApiKeyRevoked r && r.Prefix == created.Info.Prefix);
        Assert.DoesNotContain(events, e => db.CreateStore().Registry.Serialize(e.Data).Contains(created.Key, StringComparison.Ordinal));
    }
}
