namespace Platform.Bench;

/// <summary>
/// CPU time spent by each part of the deployment on this machine, from /proc: what a task costs in processor time is
/// steadier than its wall time on a shared, noisy machine, and it says which process to make cheaper.
/// </summary>
internal static class CpuByRole
{
    public static readonly string[] Roles = ["gateway", "workers", "broker", "database", "s3", "benchmark"];

    /// <summary>CPU seconds so far of every live process, by process id, with the role it plays.</summary>
    public static Dictionary<int, (string Role, double Seconds)> Read()
    {
        var ticksPerSecond = 100.0; // USER_HZ, fixed at 100 on Linux whatever the kernel's own tick
        var result = new Dictionary<int, (string, double)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var role = RoleOf(File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '));
                if (role is null) continue;
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 14th and 15th.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                result[pid] = (role, (long.Parse(fields[11]) + long.Parse(fields[12])) / ticksPerSecond);
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }
        return result;
    }

    /// <summary>Seconds each role spent between two readings; a process that started in between counts from zero.</summary>
    public static Dictionary<string, double> Between(Dictionary<int, (string Role, double Seconds)> before, Dictionary<int, (string Role, double Seconds)> after)
    {
        var spent = Roles.ToDictionary(r => r, _ => 0.0);
        foreach (var (pid, (role, seconds)) in after)
            spent[role] += seconds - (before.TryGetValue(pid, out var earlier) && earlier.Role == role ? earlier.Seconds : 0);
        return spent;
    }

    public static string PerTask(Dictionary<string, double> spent, int tasks) =>
        string.Join(", ", Roles.Select(r => $"{r} {1000 * spent[r] / tasks:0.0}")) + $"; all {1000 * spent.Values.Sum() / tasks:0.0}";

    private static string? RoleOf(string commandLine) => commandLine switch
    {
        _ when commandLine.Contains("AiPlatform.Gateway") => "gateway",
        _ when commandLine.Contains("AiPlatform.Workers.") || commandLine.Contains("AiPlatform.ScriptRunner") => "workers",
        _ when commandLine.Contains("beam.smp") => "broker",
        _ when commandLine.StartsWith("postgres", StringComparison.Ordinal) || commandLine.Contains("/bin/postgres") => "database",
        _ when commandLine.Contains("radosgw") || commandLine.Contains("ceph-") => "s3",
        _ when commandLine.Contains("Platform.Bench") => "benchmark",
        _ => null,
    };
}
