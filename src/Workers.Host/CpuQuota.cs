using System.Globalization;

namespace AiPlatform.Workers.Host;

/// <summary>
/// Holds a runner's processes to a number of cores with the kernel's CFS bandwidth control, as <c>docker --cpus</c>
/// and Kubernetes cpu limits do: a cgroup of the runner's own under the worker's, its quota per 100 ms period set to
/// that many cores' worth. Without it, a task that declared half a core still spun on every core it could get. It needs
/// a writable cpu controller (cgroup v2 <c>cpu.max</c> where the worker's cgroup is delegated to it, or v1's
/// <c>cpu.cfs_quota_us</c>); a worker without one runs such tasks unthrottled and says so at start.
/// </summary>
public sealed class CpuQuota : IAsyncDisposable
{
    private const int PeriodMicroseconds = 100_000;

    private readonly string _group;

    private CpuQuota(string group) => _group = group;

    /// <summary>The worker's own cgroup, where its runners' are made, or null (with the reason) where this worker cannot make them.</summary>
    public static (string? Parent, bool Unified, string? Problem) Controller { get; } = FindController();

    /// <summary>A cgroup holding <paramref name="pids"/> (a runner's process tree) to <paramref name="cores"/>; null where there is no controller.</summary>
    public static CpuQuota? Apply(double cores, string name, IEnumerable<int> pids)
    {
        if (Controller.Parent is not { } parent) return null;
        var group = Path.Combine(parent, name);
        Directory.CreateDirectory(group);
        var quota = ((long)Math.Ceiling(cores * PeriodMicroseconds)).ToString(CultureInfo.InvariantCulture);
        if (Controller.Unified) File.WriteAllText(Path.Combine(group, "cpu.max"), $"{quota} {PeriodMicroseconds}");
        else
        {
            File.WriteAllText(Path.Combine(group, "cpu.cfs_period_us"), PeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(group, "cpu.cfs_quota_us"), quota);
        }
        // Writing a pid moves the whole process (all its threads); the children it starts later are born inside.
        foreach (var pid in pids)
        {
            try
            {
                File.WriteAllText(Path.Combine(group, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
        }
        return new CpuQuota(group);
    }

    /// <summary>Removes the cgroup once its runner has ended (the kernel refuses while a process is still in it).</summary>
    public async ValueTask DisposeAsync()
    {
        for (var attempt = 0; attempt < 40 && Directory.Exists(_group); attempt++)
        {
            try
            {
                Directory.Delete(_group);
            }
            catch (IOException)
            {
                await Task.Delay(50);
            }
        }
    }

    private static (string?, bool, string?) FindController()
    {
        if (!File.Exists("/proc/self/cgroup")) return (null, false, "not on Linux");
        var memberships = File.ReadAllLines("/proc/self/cgroup").Select(line => line.Split(':', 3)).Where(parts => parts.Length == 3).ToList();
        var v1 = memberships.FirstOrDefault(parts => parts[1].Split(',').Contains("cpu"));
        var candidate = v1 is not null
            ? (Mount: MountOf(controller: "cpu"), Own: v1[2], Unified: false)
            : (Mount: File.Exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : null,
               Own: memberships.FirstOrDefault(parts => parts[0] == "0")?[2] ?? "/", Unified: true);
        if (candidate.Mount is null) return (null, false, "no cpu controller is mounted");
        var parent = candidate.Mount + candidate.Own;
        try
        {
            // v2 hands a controller to child cgroups only once the parent enables it for them; v1 children have it.
            if (candidate.Unified) File.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), "+cpu");
            var probe = Directory.CreateDirectory(Path.Combine(parent, $"aiplatform-probe-{Environment.ProcessId}"));
            probe.Delete();
            return (parent, candidate.Unified, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, false, $"the cpu controller at {parent} is not writable by this worker ({e.Message})");
        }
    }

    private static string? MountOf(string controller) =>
        File.ReadLines("/proc/self/mounts").Select(line => line.Split(' '))
            .FirstOrDefault(fields => fields.Length > 3 && fields[2] == "cgroup" && fields[3].Split(',').Contains(controller))?[1];
}
