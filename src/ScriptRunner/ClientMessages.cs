using System.Text.RegularExpressions;

namespace AiPlatform.ScriptRunner;

/// <summary>
/// Error messages leave the worker for the task record and the REST API, so they name lake entries by their API names
/// ("dataset 'fashion'") and never show where this worker keeps its lake or its caches.
/// </summary>
public static partial class ClientMessages
{
    [GeneratedRegex(@"no (?:dataset|model) at (?<kind>datasets|models)/(?<name>[A-Za-z0-9._-]+?)\.lance\b")]
    private static partial Regex MissingEntry();

    [GeneratedRegex(@"(?:(?:dataset|model) )?(?<kind>datasets|models)/(?<name>[A-Za-z0-9._-]+?)\.lance(?<rest>/[^\s'"",;)]*)?")]
    private static partial Regex EntryPath();

    /// <param name="privateRoots">Server locations to hide: the lake root (a folder or s3:// URI), cache folders.</param>
    public static string Redact(string message, IEnumerable<string?> privateRoots)
    {
        foreach (var root in privateRoots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => r!.TrimEnd('/', Path.DirectorySeparatorChar))
                     .OrderByDescending(r => r.Length))
            message = message.Replace(root + "/", "", StringComparison.Ordinal).Replace(root, "the lake", StringComparison.Ordinal);
        message = MissingEntry().Replace(message, m => $"{Singular(m.Groups["kind"].Value)} '{m.Groups["name"].Value}' does not exist");
        return EntryPath().Replace(message, m => $"{Singular(m.Groups["kind"].Value)} '{m.Groups["name"].Value}'");
    }

    private static string Singular(string folder) => folder == "datasets" ? "dataset" : "model";
}
