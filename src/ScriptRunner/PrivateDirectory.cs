namespace AiPlatform.ScriptRunner;

/// <summary>
/// A folder only this user can read or write (0700), for things this process will load and execute. A folder found
/// with wider permissions may hold files planted by someone else, so it is tightened and emptied before use; one that
/// cannot be tightened (another user's) or that is a link is refused.
/// </summary>
public static class PrivateDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The default home of per-user caches: under the user's local data folder, not a shared /tmp path.</summary>
    public static string DefaultFor(string name) =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
            "aiplatform", name);

    public static void Ensure(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (parent is not null) Directory.CreateDirectory(parent);
        if (!Directory.Exists(path)) Directory.CreateDirectory(path, OwnerOnly);
        var directory = new DirectoryInfo(path);
        if (directory.LinkTarget is not null) throw new UnauthorizedAccessException($"{path} is a symbolic link; a private folder must not be");
        if (directory.UnixFileMode == OwnerOnly) return;
        try
        {
            // Only the owner (or root) may change a folder's mode: success proves the folder is ours.
            File.SetUnixFileMode(path, OwnerOnly);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"{path} belongs to another user; use a folder of your own", e);
        }
        foreach (var entry in directory.EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo { LinkTarget: null } folder) folder.Delete(recursive: true);
            else entry.Delete();
        }
    }
}
