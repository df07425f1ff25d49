using System.Diagnostics;

namespace AiPlatform.ScriptRunner;

/// <summary>What a sandboxed runner may reach: folders it writes and reads, and paths hidden from it. It never has a network.</summary>
/// <param name="Writable">The lake (when local) and the compiled-script cache: bound read-write.</param>
/// <param name="Readable">Input roots that a private /tmp or a hidden path would otherwise cover.</param>
/// <param name="Hidden">Secrets readable by the worker's user: folders become empty, files unreadable.</param>
/// <param name="User">The unprivileged user a root worker's runners run as; null to run as the worker's user.</param>
public sealed record SandboxPolicy(IReadOnlyList<string> Writable, IReadOnlyList<string> Readable, IReadOnlyList<string> Hidden, RunnerUser? User = null);

/// <summary>A user of this machine, as <c>setpriv</c> takes it.</summary>
public sealed record RunnerUser(string Name, int Uid, int Gid);

/// <summary>
/// Runs script-runner children under bubblewrap (Debian's <c>bubblewrap</c>): PID, IPC and UTS namespaces of their own
/// (the worker and its environment are out of sight), no network (an S3 lake is reached through a Unix socket its
/// worker relays to the endpoint, bound in with the readable folders), the whole file
/// system read-only apart from a private /tmp (the runner's scratch) and the policy's writable folders, secrets
/// hidden, and no capabilities. The runner keeps talking to its worker over stdin and stdout, which pass through.
/// </summary>
public static class RunnerSandbox
{
    public const string Executable = "bwrap";

    /// <summary>The path of <paramref name="program"/> (bubblewrap by default) when it is installed (on <c>PATH</c>), otherwise null.</summary>
    public static string? Find(string program = Executable) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(folder => Path.Combine(folder, program)).FirstOrDefault(File.Exists);

    /// <summary><paramref name="launch"/> started inside the sandbox <paramref name="policy"/> describes.</summary>
    public static RunnerLaunch Wrap(RunnerLaunch launch, string bubblewrap, SandboxPolicy policy)
    {
        var (program, arguments) = Command(bubblewrap, policy, [launch.FileName, .. launch.Arguments]);
        // The worker's home is not the runner's user's; the runtime keeps nothing there that a runner needs.
        var environment = policy.User is null ? launch.Environment : new Dictionary<string, string>(launch.Environment) { ["HOME"] = "/tmp" };
        return launch with { FileName = program, Arguments = arguments, Environment = environment };
    }

    /// <summary>
    /// bubblewrap's command line. When the runner has a user of its own, bubblewrap still starts as the (root) worker,
    /// so it can bind folders that user could not reach, and keeps only the capabilities to change user; inside,
    /// <c>setpriv</c> becomes that user, drops those too (inheritable and bounding sets included) and forbids gaining
    /// any back (no setuid programs), and then starts the runner.
    /// </summary>
    private static (string Program, IReadOnlyList<string> Arguments) Command(string bubblewrap, SandboxPolicy policy, IReadOnlyList<string> inside)
    {
        if (policy.User is not { } user) return (bubblewrap, [.. Arguments(policy), "--", .. inside]);
        return (bubblewrap, [
            .. Arguments(policy), "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP", "--",
            "setpriv", $"--reuid={user.Uid}", $"--regid={user.Gid}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
            "--no-new-privs", "--", .. inside,
        ]);
    }

    /// <summary>
    /// Starts <c>true</c> in the sandbox: null when it ran, else why not (no user namespaces in a container, say), so
    /// a worker can say so at start instead of failing every task.
    /// </summary>
    public static string? Probe(string bubblewrap, SandboxPolicy policy)
    {
        var (program, arguments) = Command(bubblewrap, policy, ["true"]);
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{bubblewrap} did not start");
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill(entireProcessTree: true);
            return $"{bubblewrap} did not finish within 10 s";
        }
        return process.ExitCode == 0 ? null : $"{program} exited with {process.ExitCode}: {error.Result.Trim()}";
    }

    /// <summary>
    /// bubblewrap applies mounts in order: the read-only root first, then the private /tmp and the hidden paths, and
    /// last the folders that must stay reachable, so a lake under a hidden folder or under /tmp is bound back in.
    /// Not <c>--die-with-parent</c>: its signal follows the thread that started bubblewrap, and .NET retires idle
    /// threads, which killed runners mid-task. A runner ends when its worker's end closes its stdin, as without a sandbox.
    /// </summary>
    public static IReadOnlyList<string> Arguments(SandboxPolicy policy)
    {
        var arguments = new List<string>
        {
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--unshare-cgroup-try", "--cap-drop", "ALL",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--tmpfs", "/tmp",
        };
        var bound = policy.Readable.Concat(policy.Writable).Select(Path.GetFullPath).ToList();
        IReadOnlyList<string> closed = policy.User is null ? [] : ClosedAncestors(bound);
        var emptied = new List<string> { "/tmp" };
        foreach (var path in policy.Hidden.Select(Path.GetFullPath).Concat(closed).Distinct())
        {
            if (Directory.Exists(path))
            {
                arguments.AddRange(["--perms", "0755", "--tmpfs", path]);
                emptied.Add(path);
            }
            else if (File.Exists(path)) arguments.AddRange(["--ro-bind", "/dev/null", path]);
        }
        // bubblewrap makes the folders on the way to a bound path inside an emptied one for root alone: a runner with a
        // user of its own gets them made first, passable by all.
        if (policy.User is not null)
            foreach (var folder in bound.SelectMany(path => Ancestors(path).Reverse()).Distinct().Where(a => emptied.Any(e => IsBelow(a, e))))
                arguments.AddRange(["--perms", "0755", "--dir", folder]);
        foreach (var path in policy.Readable.Select(Path.GetFullPath).Distinct().Where(Path.Exists))
            arguments.AddRange(["--ro-bind", path, path]);
        foreach (var path in policy.Writable.Select(Path.GetFullPath).Distinct())
        {
            Directory.CreateDirectory(path);
            arguments.AddRange(["--bind", path, path]);
        }
        HideInsideBound(arguments, policy, bound);
        return arguments;
    }

    /// <summary>
    /// A hidden folder inside a bound one (other projects' lakes inside the lake a runner writes) would be uncovered by
    /// that bind, so it is emptied again after the binds, and what is bound below it is bound back in.
    /// </summary>
    private static void HideInsideBound(List<string> arguments, SandboxPolicy policy, IReadOnlyList<string> bound)
    {
        var inside = policy.Hidden.Select(Path.GetFullPath).Distinct().Where(Directory.Exists).Where(hidden => bound.Any(b => IsBelow(hidden, b))).ToList();
        if (inside.Count == 0) return;
        foreach (var hidden in inside) arguments.AddRange(["--perms", "0755", "--tmpfs", hidden]);
        var readable = policy.Readable.Select(Path.GetFullPath).Distinct().Where(Path.Exists).Where(p => inside.Any(h => IsBelow(p, h))).ToList();
        var writable = policy.Writable.Select(Path.GetFullPath).Distinct().Where(p => inside.Any(h => IsBelow(p, h))).ToList();
        // bubblewrap would make the folders on the way for root alone.
        foreach (var folder in readable.Concat(writable).SelectMany(path => Ancestors(path).Reverse()).Distinct().Where(a => inside.Any(h => IsBelow(a, h))))
            arguments.AddRange(["--perms", "0755", "--dir", folder]);
        foreach (var path in readable) arguments.AddRange(["--ro-bind", path, path]);
        foreach (var path in writable) arguments.AddRange(["--bind", path, path]);
    }

    private static bool IsBelow(string path, string folder) => path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>
    /// Folders above <paramref name="bound"/> that others may not pass through (a clone under /root, say): a runner of
    /// its own user could not reach what is bound below them, so the sandbox replaces them by empty ones, as hidden
    /// folders, and binds the paths below back in.
    /// </summary>
    private static IReadOnlyList<string> ClosedAncestors(IEnumerable<string> bound) =>
        OperatingSystem.IsWindows()
            ? []
            : bound.SelectMany(Ancestors).Distinct()
                .Where(folder => Directory.Exists(folder) && (File.GetUnixFileMode(folder) & UnixFileMode.OtherExecute) == 0)
                .ToList();

    private static IEnumerable<string> Ancestors(string path)
    {
        for (var parent = Path.GetDirectoryName(path); parent is not null && parent != "/"; parent = Path.GetDirectoryName(parent))
            yield return parent;
    }
}
