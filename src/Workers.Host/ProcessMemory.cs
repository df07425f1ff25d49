namespace AiPlatform.Workers.Host;

/// <summary>
/// The worker's processes as Linux sees them: scripts run in child processes, so the worker's memory is its own plus
/// its children's, which is what a container limit counts. Read from /proc; elsewhere only the worker itself counts.
/// </summary>
internal static class ProcessMemory
{
    public static IReadOnlyList<int> Children()
    {
        if (!Directory.Exists("/proc")) return [];
        var self = Environment.ProcessId;
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so count from its closing parenthesis.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1]) == self) children.Add(pid);
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }
        return children;
    }

    public static long ResidentBytesWithChildren() =>
        ResidentBytes(Environment.ProcessId) + Children().Sum(ResidentBytes);

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
