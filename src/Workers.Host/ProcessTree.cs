namespace AiPlatform.Workers.Host;

/// <summary>
/// The worker's processes as Linux sees them: scripts run in child processes, so the worker's memory and CPU are its
/// own plus its children's, which is what a container limit counts. Read from /proc; elsewhere only the worker itself counts.
/// </summary>
internal static class ProcessTree
{
    private const double ClockTicksPerSecond = 100;

    public static IReadOnlyList<int> Children() =>
        ParentOfEachProcess().Where(p => p.Value == Environment.ProcessId).Select(p => p.Key).ToList();

    /// <summary>A process and everything below it: a sandboxed runner is a grandchild (bubblewrap starts it).</summary>
    public static long ResidentBytesOfTree(int root) => TreeOf(root).Sum(ResidentBytes);

    public static IReadOnlyList<int> TreeOf(int root)
    {
        var parents = ParentOfEachProcess();
        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++) tree.AddRange(parents.Where(p => p.Value == tree[i]).Select(p => p.Key));
        return tree;
    }

    /// <summary>User and system time from /proc/&lt;pid&gt;/stat (clock ticks, 100 a second on Linux); the worker's own elsewhere.</summary>
    public static TimeSpan CpuTime(IReadOnlyList<int> pids)
    {
        if (!Directory.Exists("/proc")) return System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        long ticks = 0;
        foreach (var pid in pids)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                // After "pid (comm) ": state is field 3, utime field 14, stime 15, and the time of children it waited for 16 and 17.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += fields[11..15].Sum(long.Parse);
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }
        return TimeSpan.FromSeconds(ticks / ClockTicksPerSecond);
    }

    public static long ResidentBytesWithChildren() => ResidentBytesOfTree(Environment.ProcessId);

    private static Dictionary<int, int> ParentOfEachProcess()
    {
        var parents = new Dictionary<int, int>();
        if (!Directory.Exists("/proc")) return parents;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so count from its closing parenthesis.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }
        return parents;
    }

    public static long ResidentBytes(int pid)
    {
        try
        {
            // /proc/<pid>/statm: size resident shared ... in pages.
            var statm = File.ReadAllText($"/proc/{pid}/statm").Split(' ');
            return long.Parse(statm[1]) * Environment.SystemPageSize;
        }
        catch (IOException)
        {
            return pid == Environment.ProcessId ? System.Diagnostics.Process.GetCurrentProcess().WorkingSet64 : 0;
        }
    }
}
