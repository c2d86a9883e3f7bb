using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Billing.Ledger.Postgres;

/// <summary>Settings for a private cluster.</summary>
/// <param name="DataDirectory">Cluster directory; kept between runs when <paramref name="Persistent"/>.</param>
/// <param name="Durable">fsync on (the Host's default) or off (throwaway test clusters).</param>
public sealed record EmbeddedPostgresOptions(string DataDirectory, bool Persistent = true, bool Durable = true, int MaxConnections = 200);

/// <summary>A private PostgreSQL cluster run from the machine's server binaries: trust auth on
/// 127.0.0.1 and a socket in its own directory, a free port, the <c>postgres</c> OS user when we
/// run as root (PostgreSQL refuses root). A server left running by a killed process is adopted
/// and stopped cleanly later, never orphaned.</summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private readonly EmbeddedPostgresOptions _options;
    private readonly string _bin;
    private readonly bool _asRoot;
    private bool _stopped;

    private EmbeddedPostgres(EmbeddedPostgresOptions options, string bin, int port)
    {
        _options = options;
        _bin = bin;
        _asRoot = Environment.UserName == "root";
        Port = port;
    }

    public int Port { get; }

    /// <summary>True when this instance found the server already running (left by a killed run, or
    /// held by a running Host) rather than starting it. Disposing does not stop an adopted server;
    /// only an explicit <see cref="StopAsync"/> by its owner (the serving Host) does.</summary>
    public bool Adopted { get; private init; }

    public string DataDirectory => _options.DataDirectory;

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=50";

    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions options, CancellationToken ct = default)
    {
        var bin = PostgresBinaries.FindBinDirectory() ?? throw new PostgresBinariesNotFoundException();
        var dataDir = Path.GetFullPath(options.DataDirectory);
        options = options with { DataDirectory = dataDir };
        var probe = new EmbeddedPostgres(options, bin, 0);
        probe.PrepareDirectories();

        if (!File.Exists(Path.Combine(dataDir, "PG_VERSION")))
        {
            await probe.RunAsync("initdb", ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], ct);
        }

        if (await probe.AdoptRunningAsync(ct) is { } adopted)
        {
            return adopted;
        }

        var port = FreePort();
        var server = new EmbeddedPostgres(options, bin, port);
        await server.RunAsync("pg_ctl", ["-D", dataDir, "-l", Path.Combine(dataDir, "server.log"), "-w", "-t", "60", "-o", server.ServerOptions(), "start"], ct);
        if (!options.Persistent)
        {
            server.WatchOwner(Environment.ProcessId);
        }

        return server;
    }

    // The watchdog: waits for the owner to exit, then stops the server and deletes its data and
    // socket directories. Arguments, not string splicing: $1 owner pid, $2 data, $3 socket, then
    // the pg_ctl command (with runuser when we run as root). Its standard streams go to /dev/null
    // at once so it holds none of the owner's pipes (a test runner waits for those to close).
    private const string WatchdogScript = """
        exec </dev/null >/dev/null 2>&1
        owner=$1; data=$2; socket=$3; shift 3
        while kill -0 "$owner"; do sleep 1; done
        "$@" -D "$data" -m immediate -w -t 30 stop
        rm -rf "$data" "$socket"
        """;

    /// <summary>Makes sure a throwaway cluster leaves nothing behind even when its owner does not
    /// get to stop it: a test host killed by its runner after the last test (the exit handler's
    /// delete of a ~500 MB directory cut short), a benchmark stopped with Ctrl-C, a crash. A
    /// detached shell (its own session, so a terminal's Ctrl-C does not reach it) polls
    /// <paramref name="ownerPid"/> once a second and, once it is gone, stops the server and deletes
    /// the directories. An owner that stops the cluster itself leaves the watchdog nothing to do
    /// but exit. Internal so a test can hand it an owner it can end.</summary>
    internal void WatchOwner(int ownerPid)
    {
        string[] pgCtl = _asRoot ? ["runuser", "-u", "postgres", "--", Path.Combine(_bin, "pg_ctl")] : [Path.Combine(_bin, "pg_ctl")];
        var start = new ProcessStartInfo("setsid", ["sh", "-c", WatchdogScript, "billing-pg-watchdog",
            ownerPid.ToString(CultureInfo.InvariantCulture), DataDirectory, SocketDirectory, .. pgCtl])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using var watchdog = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No setsid or sh (not a Linux machine): the owner's own stop, and for tests the next
            // run's cleanup (TestCluster.RemoveAbandonedClusters), remain.
        }
    }

    public async Task CreateDatabaseAsync(string name, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "", StringComparison.Ordinal)}\"", connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Stops the server: a fast shutdown (clients disconnected, data flushed) for a kept
    /// cluster, an immediate one for a throwaway cluster, whose directories are then deleted.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", StopMode, "-w", "-t", "60", "stop"], ct);
        if (!_options.Persistent)
        {
            DeleteThrowawayDirectories();
        }
    }

    /// <summary>Stops the server if this instance started it; an adopted one keeps running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Adopted)
        {
            await StopAsync();
        }
    }

    /// <summary>Stops the server synchronously, for process-exit handlers that cannot await.</summary>
    public void StopOnExit()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        var executable = Path.Combine(_bin, "pg_ctl");
        string[] args = ["-D", DataDirectory, "-m", StopMode, "-w", "-t", "30", "stop"];
        using var process = Process.Start(_asRoot ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", executable, .. args]) : new ProcessStartInfo(executable, args))!;
        process.WaitForExit();
        if (!_options.Persistent && process.ExitCode == 0)
        {
            DeleteThrowawayDirectories();
        }
    }

    /// <summary>A kept cluster shuts down cleanly (a checkpoint, so the next start needs no
    /// recovery); a throwaway one at once, as its data is deleted next.</summary>
    private string StopMode => _options.Persistent ? "fast" : "immediate";

    /// <summary>A throwaway cluster leaves nothing behind: its data and its socket directory.</summary>
    private void DeleteThrowawayDirectories()
    {
        Directory.Delete(DataDirectory, recursive: true);
        if (Directory.Exists(SocketDirectory))
        {
            Directory.Delete(SocketDirectory, recursive: true);
        }
    }

    private string SocketDirectory => SocketDirectoryFor(DataDirectory);

    /// <summary>Where the server of <paramref name="dataDirectory"/> puts its socket (a short
    /// path: Unix socket paths are limited to ~100 bytes).</summary>
    public static string SocketDirectoryFor(string dataDirectory) =>
        Path.Combine(Path.GetTempPath(), "billing-pg-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(dataDirectory)))[..12].ToLowerInvariant());

    private string ServerOptions() => string.Join(' ',
        $"-p {Port}",
        $"-k {SocketDirectory}",
        "-c listen_addresses=127.0.0.1",
        $"-c max_connections={_options.MaxConnections}",
        "-c idle_in_transaction_session_timeout=60000",
        _options.Durable ? "-c fsync=on" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off");

    private void PrepareDirectories()
    {
        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(SocketDirectory);
        if (_asRoot)
        {
            Chown(DataDirectory);
            Chown(SocketDirectory);
        }

        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static void Chown(string path)
    {
        using var chown = Process.Start(new ProcessStartInfo("chown", ["-R", "postgres:postgres", path]) { RedirectStandardError = true })!;
        chown.WaitForExit();
    }

    /// <summary>A server from an earlier, killed run still holds the directory: reuse it when it
    /// answers, otherwise stop it so a fresh start can take over.</summary>
    private async Task<EmbeddedPostgres?> AdoptRunningAsync(CancellationToken ct)
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile) || await TryRunAsync("pg_ctl", ["-D", DataDirectory, "status"], ct) != 0)
        {
            return null;
        }

        var lines = await File.ReadAllLinesAsync(pidFile, ct);
        if (lines.Length > 3 && int.TryParse(lines[3], CultureInfo.InvariantCulture, out var port))
        {
            var running = new EmbeddedPostgres(_options, _bin, port) { Adopted = true };
            try
            {
                await using var connection = new NpgsqlConnection(running.ConnectionString() + ";Timeout=5");
                await connection.OpenAsync(ct);
                return running;
            }
            catch (NpgsqlException)
            {
                // Not answering on its port: fall through and restart it.
            }
        }

        await TryRunAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], ct);
        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task RunAsync(string tool, IReadOnlyList<string> args, CancellationToken ct)
    {
        var (code, output) = await ExecAsync(tool, args, ct);
        if (code != 0)
        {
            throw new InvalidOperationException($"{tool} failed with exit code {code}: {output.Trim()}");
        }
    }

    private async Task<int> TryRunAsync(string tool, IReadOnlyList<string> args, CancellationToken ct) => (await ExecAsync(tool, args, ct)).Code;

    private async Task<(int Code, string Output)> ExecAsync(string tool, IReadOnlyList<string> args, CancellationToken ct)
    {
        var executable = Path.Combine(_bin, tool);
        var start = _asRoot
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", executable, .. args])
            : new ProcessStartInfo(executable, args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {tool}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout + await stderr);
    }
}
