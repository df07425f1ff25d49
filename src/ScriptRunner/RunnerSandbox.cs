using System.Diagnostics;

namespace AiPlatform.ScriptRunner;

/// <summary>What a sandboxed runner may reach: folders it writes and reads, and paths hidden from it. It never has a network.</summary>
/// <param name="Writable">The lake (when local) and the compiled-script cache: bound read-write.</param>
/// <param name="Readable">Input roots that a private /tmp or a hidden path would otherwise cover.</param>
/// <param name="Hidden">Secrets readable by the worker's user: folders become empty, files unreadable.</param>
public sealed record SandboxPolicy(IReadOnlyList<string> Writable, IReadOnlyList<string> Readable, IReadOnlyList<string> Hidden);

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

    /// <summary>bubblewrap's path when it is installed (on <c>PATH</c>), otherwise null.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(folder => Path.Combine(folder, Executable)).FirstOrDefault(File.Exists);

    /// <summary><paramref name="launch"/> started inside the sandbox <paramref name="policy"/> describes.</summary>
    public static RunnerLaunch Wrap(RunnerLaunch launch, string bubblewrap, SandboxPolicy policy) =>
        launch with { FileName = bubblewrap, Arguments = [.. Arguments(policy), "--", launch.FileName, .. launch.Arguments] };

    /// <summary>
    /// Starts <c>true</c> in the sandbox: null when it ran, else why not (no user namespaces in a container, say), so
    /// a worker can say so at start instead of failing every task.
    /// </summary>
    public static string? Probe(string bubblewrap, SandboxPolicy policy)
    {
        var info = new ProcessStartInfo(bubblewrap) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in Arguments(policy).Append("--").Append("true")) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{bubblewrap} did not start");
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill(entireProcessTree: true);
            return $"{bubblewrap} did not finish within 10 s";
        }
        return process.ExitCode == 0 ? null : $"{bubblewrap} exited with {process.ExitCode}: {error.Result.Trim()}";
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
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
        };
        foreach (var path in policy.Hidden.Select(Path.GetFullPath).Distinct())
        {
            if (Directory.Exists(path)) arguments.AddRange(["--tmpfs", path]);
            else if (File.Exists(path)) arguments.AddRange(["--ro-bind", "/dev/null", path]);
        }
        foreach (var path in policy.Readable.Select(Path.GetFullPath).Distinct().Where(Path.Exists))
            arguments.AddRange(["--ro-bind", path, path]);
        foreach (var path in policy.Writable.Select(Path.GetFullPath).Distinct())
        {
            Directory.CreateDirectory(path);
            arguments.AddRange(["--bind", path, path]);
        }
        return arguments;
    }
}
