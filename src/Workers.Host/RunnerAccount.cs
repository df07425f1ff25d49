using System.Diagnostics;
using System.Runtime.InteropServices;
using AiPlatform.ScriptRunner;

namespace AiPlatform.Workers.Host;

/// <summary>
/// The unprivileged user a root worker's runners run as (<see cref="WorkerOptions.RunnerUser"/>), and what it is given
/// so that scripts still work: the compiled-script cache and the S3 relay's folder become its own, and the local lake
/// gets an access-control entry for it, inherited by everything made in the lake later, whoever makes it (the
/// gateway, a root worker, another runner).
/// </summary>
internal static class RunnerAccount
{
    public static readonly RunnerUser Root = new("root", 0, 0);

    /// <summary>The user, or null with the reason when runners keep the worker's user.</summary>
    public static (RunnerUser? User, string? Problem) Find(WorkerOptions options)
    {
        if (!Environment.IsPrivilegedProcess || !OperatingSystem.IsLinux()) return (null, null);
        if (string.IsNullOrEmpty(options.RunnerUser)) return (null, "Worker:RunnerUser is empty");
        var entry = File.ReadLines("/etc/passwd").Select(line => line.Split(':')).FirstOrDefault(fields => fields.Length > 3 && fields[0] == options.RunnerUser);
        if (entry is null) return (null, $"there is no user {options.RunnerUser} (eng/install-deps.sh makes it)");
        if (RunnerSandbox.Find("setfacl") is null) return (null, "setfacl is not installed (Debian's acl package)");
        return (new RunnerUser(entry[0], int.Parse(entry[2]), int.Parse(entry[3])), null);
    }

    /// <summary>Makes <paramref name="folders"/> the user's own (created when missing).</summary>
    public static void GiveFolders(RunnerUser user, IEnumerable<string> folders)
    {
        foreach (var folder in folders)
        {
            Directory.CreateDirectory(folder);
            ChangeOwner(folder, user);
            // Other workers' runners may be adding and removing files meanwhile: one gone before its turn is no matter.
            var entries = new DirectoryInfo(folder).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true });
            foreach (var entry in entries) ChangeOwner(entry.FullName, user);
        }
    }

    /// <summary>Lets the user read and write <paramref name="folder"/> and all in it, now and later (a default ACL).</summary>
    public static void ShareFolder(RunnerUser user, string folder)
    {
        Directory.CreateDirectory(folder);
        var entry = $"u:{user.Uid}:rwX";
        var info = new ProcessStartInfo("setfacl") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-R", "-m", entry, "-m", "d:" + entry, folder }) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("setfacl did not start");
        var errors = process.StandardError.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        // As above: a file removed while the walk went on is no matter.
        if (process.ExitCode != 0 && errors.Any(line => !line.Contains("No such file or directory", StringComparison.Ordinal)))
            throw new InvalidOperationException($"setfacl could not share {folder} with {user.Name}: {string.Join("; ", errors)}");
    }

    private static void ChangeOwner(string path, RunnerUser user)
    {
        const int NoSuchFile = 2;
        if (lchown(path, user.Uid, user.Gid) != 0 && Marshal.GetLastPInvokeError() is var error && error != NoSuchFile)
            throw new UnauthorizedAccessException($"cannot give {path} to {user.Name}: error {error}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int lchown(string path, int owner, int group);
}
