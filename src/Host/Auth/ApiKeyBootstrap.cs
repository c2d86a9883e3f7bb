using Billing.Host.Database;
using Billing.Ledger.EventStore;

namespace Billing.Host.Auth;

/// <summary>Start-up keys. <c>BILLING_BOOTSTRAP_ADMIN_KEY</c> seeds an admin key for automation.
/// On embedded defaults (no BILLING_DB) with no active key at all, a fresh admin key is written
/// to <c>&lt;data dir&gt;/admin-key</c> (mode 600) so a first-time user can call the API; the log
/// says where the file is and never prints the key.</summary>
public static partial class ApiKeyBootstrap
{
    public const string BootstrapVariable = "BILLING_BOOTSTRAP_ADMIN_KEY";

    private static readonly EventMetadata SystemActor = new(Actor: "system:bootstrap");

    public static async Task RunAsync(ApiKeyStore keys, IConfiguration configuration, bool embedded, ILogger logger, CancellationToken ct)
    {
        if (configuration[BootstrapVariable] is { Length: > 0 } bootstrap)
        {
            var info = await keys.EnsureAsync(bootstrap, Roles.Admin, "bootstrap (" + BootstrapVariable + ")", SystemActor, ct);
            LogBootstrapKey(logger, info.Prefix, info.IsActive);
        }

        if (!embedded || await keys.AnyActiveAsync(ct))
        {
            return;
        }

        var created = await keys.CreateAsync(Roles.Admin, description: "first start (embedded)", metadata: SystemActor, ct: ct);
        var path = Path.Combine(LedgerDatabase.DataDirectory(configuration), "admin-key");
        await WriteSecretFileAsync(path, created.Key + "\n", ct);
        LogFirstStartKey(logger, created.Info.Prefix, path);
    }

    private static async Task WriteSecretFileAsync(string path, string content, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created with 600 from the start: never readable by others, not even briefly.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var stream = new FileStream(path, options);
        await using var writer = new StreamWriter(stream);
        await writer.WriteAsync(content.AsMemory(), ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bootstrap admin key {KeyPrefix} from " + BootstrapVariable + " is present (active: {Active})")]
    private static partial void LogBootstrapKey(ILogger logger, string keyPrefix, bool active);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No API keys existed: created admin key {KeyPrefix}; the key is in {KeyFile} (mode 600). Create your own with `billing keys create` and revoke this one.")]
    private static partial void LogFirstStartKey(ILogger logger, string keyPrefix, string keyFile);
}
