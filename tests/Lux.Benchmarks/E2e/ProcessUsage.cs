using System.Globalization;
using System.Runtime.InteropServices;

namespace Lux.Benchmarks.E2e;

/// <summary>CPU time and resident memory of a process, read from /proc (Linux).</summary>
internal static partial class ProcessUsage
{
    private const int ScClockTicks = 2;
    private static readonly long ClockTicksPerSecond = OperatingSystem.IsLinux() ? Math.Max(1, SystemConfiguration(ScClockTicks)) : 100;

    /// <summary>User plus system CPU time the process has used so far (/proc/&lt;pid&gt;/stat utime + stime).</summary>
    public static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((double)ticks / ClockTicksPerSecond);
    }

    /// <summary>Resident set size in MiB (/proc/&lt;pid&gt;/status VmRSS).</summary>
    public static double ResidentMebibytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
            var kib = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return kib / 1024.0;
        }
        return 0;
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SystemConfiguration(int name);
}
