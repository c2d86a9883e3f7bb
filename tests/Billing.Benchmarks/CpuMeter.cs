using System.Diagnostics;
using System.Globalization;

namespace Billing.Benchmarks;

/// <summary>CPU time used by this process plus a local PostgreSQL server (its postmaster and every
/// child: backends, WAL writer, checkpointer), read from <c>/proc</c>. On a shared machine
/// throughput swings with other people's load; CPU spent per item barely does, so it is the
/// steadier measure of how much work a write path costs. Linux only; elsewhere, or without a
/// local server, only this process is counted.</summary>
public sealed class CpuMeter(int? serverPid)
{
    // USER_HZ: the unit of utime/stime in /proc/[pid]/stat; 100 on every mainstream Linux.
    private const double TicksPerSecond = 100;

    public bool IncludesServer => serverPid is not null && OperatingSystem.IsLinux();

    /// <summary>CPU used so far by this process and by the server (zero when not counted).</summary>
    public (TimeSpan Client, TimeSpan Server) Now()
    {
        var client = Process.GetCurrentProcess().TotalProcessorTime;
        if (!IncludesServer)
        {
            return (client, TimeSpan.Zero);
        }

        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } stat
                && (pid == serverPid || stat.ParentPid == serverPid))
            {
                ticks += stat.Ticks;
            }
        }

        return (client, TimeSpan.FromSeconds(ticks / TicksPerSecond));
    }

    private static (int ParentPid, long Ticks)? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // The process ended between listing and reading.
        }

        // Fields after the parenthesised command name: state ppid ... utime(14) stime(15).
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (int.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
    }
}
