using System.Text.RegularExpressions;

namespace AiPlatform.Messages;

/// <summary>
/// Projects (namespaces): every task, dataset, model and pipeline belongs to one, and a key scoped to a project sees
/// nothing of another's. The default project's lake is the lake root itself, so a lake from before projects stays the
/// default project's; every other project has its own prefix, <c>projects/&lt;name&gt;/</c>, under that root.
/// </summary>
public static partial class ProjectNames
{
    public const string Default = "default";

    /// <summary>The folder under the lake root that holds the other projects' lakes.</summary>
    public const string LakeFolder = "projects";

    public const int MaxNameLength = 64;

    /// <summary>Lower case, so a project's prefix is the same on every object store and file system.</summary>
    [GeneratedRegex(@"\A[a-z0-9][a-z0-9_-]{0,63}\z")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    public const string NameRule = "1-64 characters of lower-case letters, digits, '_' or '-', starting with a letter or digit";

    /// <summary>The root of <paramref name="project"/>'s lake under <paramref name="lakeRoot"/> (a folder or s3://bucket/prefix).</summary>
    public static string LakeRootOf(string lakeRoot, string project)
    {
        if (!IsValidName(project)) throw new ArgumentException($"'{project}' is not a project name: {NameRule}", nameof(project));
        return project == Default ? lakeRoot : $"{lakeRoot.TrimEnd('/')}/{LakeFolder}/{project}";
    }
}
