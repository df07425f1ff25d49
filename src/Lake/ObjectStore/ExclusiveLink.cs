using System.Runtime.InteropServices;

namespace AiPlatform.Lake.ObjectStore;

/// <summary>
/// Puts a finished file at a name only if nothing is there, atomically. <c>File.Move(..., overwrite: false)</c> is not
/// enough on Unix: .NET checks that the target is absent and then renames, and a rename replaces whatever another
/// process created in between, so two racing commits could both "win" and one would vanish. A hard link fails with
/// EEXIST instead, which is how the Lance crate's local store commits too.
/// </summary>
internal static partial class ExclusiveLink
{
    private const int AlreadyExists = 17; // EEXIST on Linux and macOS

    /// <summary>Moves <paramref name="source"/> to <paramref name="target"/>; false, with the source removed, when the target exists.</summary>
    public static bool TryMove(string source, string target)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                // There File.Move without overwrite is MoveFileEx without MOVEFILE_REPLACE_EXISTING: atomic.
                try
                {
                    File.Move(source, target, overwrite: false);
                    return true;
                }
                catch (IOException) when (File.Exists(target))
                {
                    return false;
                }
            }
            return Link(source, target);
        }
        finally
        {
            File.Delete(source);
        }
    }

    private static bool Link(string source, string target)
    {
        if (link(source, target) == 0) return true;
        var error = Marshal.GetLastPInvokeError();
        if (error == AlreadyExists) return false;
        throw new IOException($"cannot create {target} (link from {Path.GetFileName(source)} failed with errno {error}); " +
                              "the lake's local store needs a file system with hard links");
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldpath, string newpath);
}
