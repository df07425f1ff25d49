namespace AiPlatform.Lake.ObjectStore;

/// <summary>
/// A path with every symbolic link and every <c>.</c>/<c>..</c> resolved in order, as the kernel does (realpath(3)):
/// "root/link/.." is the parent of the link's target, not "root". Confinement checks compare these, and callers open
/// the resolved path, so what was checked is what is opened.
/// </summary>
public static class RealPath
{
    public static string Of(string path)
    {
        var absolute = Path.IsPathRooted(path) ? path : Path.Combine(Environment.CurrentDirectory, path);
        var current = "/";
        var pending = new Queue<string>(Segments(absolute));
        var hops = 0;
        while (pending.TryDequeue(out var segment))
        {
            if (segment == ".") continue;
            if (segment == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            var next = Path.Combine(current, segment);
            FileSystemInfo? entry = File.Exists(next) ? new FileInfo(next) : Directory.Exists(next) ? new DirectoryInfo(next) : null;
            if (entry?.LinkTarget is { } target)
            {
                if (++hops > 40) throw new IOException($"too many levels of symbolic links in {path}");
                // Continue from the link's target (absolute, or relative to the link's folder), then what followed the link.
                if (Path.IsPathRooted(target)) current = "/";
                pending = new Queue<string>(Segments(target).Concat(pending));
                continue;
            }
            current = next;
        }
        return current;
    }

    private static IEnumerable<string> Segments(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
}
