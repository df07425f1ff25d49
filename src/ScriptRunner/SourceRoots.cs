using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.ScriptRunner;

/// <summary>
/// Where scripts may read raw input from (<c>Context.OpenLocation</c>): the folders and s3:// prefixes listed under
/// <c>Lake:SourceRoots</c>, by default the folders of the Debian packages the examples read (data sets, fortune cookie
/// files) and the lake itself. Anything else on the worker's disk
/// (<c>/etc</c>, <c>../../</c>, a link out of a root) or in a bucket its keys happen to reach is refused.
/// </summary>
public sealed class SourceRoots
{
    private static readonly string[] DefaultLocalRoots = ["/usr/share/datasets", "/usr/share/games/fortunes"];

    private readonly IReadOnlyList<string> _roots;

    public SourceRoots(IEnumerable<string> roots) =>
        _roots = roots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(Canonical).Distinct().ToList();

    /// <summary>The roots configured for this runner (<c>Lake__SourceRoots__N</c>), or the defaults.</summary>
    public static SourceRoots FromEnvironment()
    {
        var configured = Enumerable.Range(0, 100).Select(i => Environment.GetEnvironmentVariable($"Lake__SourceRoots__{i}"))
            .TakeWhile(r => r is not null).Select(r => r!).ToList();
        return new SourceRoots(configured.Count > 0 ? configured : Defaults(Environment.GetEnvironmentVariable("Lake__Root") ?? ""));
    }

    /// <summary>The roots when none are configured: the example packages' folders and <paramref name="lakeRoot"/>.</summary>
    public static List<string> Defaults(string lakeRoot) => [.. DefaultLocalRoots, lakeRoot];

    /// <returns>The location to open: the s3:// URI, or the local path with its links resolved.</returns>
    /// <exception cref="UnauthorizedAccessException">The location is outside every root.</exception>
    public string Check(string location)
    {
        var canonical = Canonical(location);
        if (_roots.Any(root => root == "/" || canonical == root || canonical.StartsWith(root + "/", StringComparison.Ordinal))) return canonical;
        throw new UnauthorizedAccessException(
            $"input '{location}' is outside the locations scripts may read from; ask an operator to add it to Lake:SourceRoots");
    }

    /// <summary>s3:// URIs as written (without a trailing slash); local paths absolute, with every link resolved.</summary>
    private static string Canonical(string location)
    {
        if (location.StartsWith("s3://", StringComparison.Ordinal))
        {
            if (location.Split('/').Skip(2).Any(segment => segment is "." or ".."))
                throw new UnauthorizedAccessException($"input '{location}' must not contain '.' or '..' segments");
            return location.TrimEnd('/');
        }
        if (location.Contains("://", StringComparison.Ordinal))
            throw new UnauthorizedAccessException($"input '{location}' must be a folder or an s3:// location");
        return RealPath.Of(location).TrimEnd('/') is { Length: > 0 } path ? path : "/";
    }
}
