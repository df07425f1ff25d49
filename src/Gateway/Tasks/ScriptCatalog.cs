using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.Messages;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Tasks;

/// <summary>Settings under <c>Scripts:</c>: the folders user scripts are submitted from, searched in order.</summary>
public sealed class ScriptOptions
{
    public List<string> Roots { get; set; } = [];
}

/// <summary>
/// Resolves a submitted script path inside the scripts roots and snapshots its source (with <c>#load</c>s inlined). Paths are relative; anything
/// that could name a file outside a root (absolute paths, <c>..</c>, links out of the root, a link to a folder
/// anywhere along the path) is refused, and so is <c>#r</c>: scripts use the platform's assemblies only.
/// </summary>
public sealed partial class ScriptCatalog(IOptions<ScriptOptions> options)
{
    private readonly IReadOnlyList<string> _roots = options.Value.Roots.Select(r => RealPath.Of(Path.GetFullPath(r))).ToList();

    // C# allows blanks around the '#' and between the directive and its argument (tabs too): match them all.
    [GeneratedRegex("""\A\s*#\s*(?<directive>load|r)\b\s*(?<argument>.*?)\s*\z""")]
    private static partial Regex ReferenceDirective();

    /// <returns>The script, or an explanation of why the path is refused.</returns>
    public (TaskScript? Script, string? Error) Resolve(string path)
    {
        var normalized = path.Replace('\\', '/');
        if (Path.IsPathRooted(normalized) || normalized.StartsWith('~'))
            return (null, $"script '{path}' must be a path relative to the scripts folder, not an absolute path");
        if (normalized.Split('/').Any(segment => segment == ".."))
            return (null, $"script '{path}' must not contain '..': scripts are confined to the scripts folder");
        if (!normalized.EndsWith(".csx", StringComparison.Ordinal))
            return (null, $"script '{path}' must be a C# script file (.csx)");

        foreach (var root in _roots)
        {
            var full = Path.GetFullPath(Path.Combine(root, normalized));
            if (!Inside(full, root) || !File.Exists(full)) continue;
            if (!Inside(RealPath.Of(full), root))
                return (null, $"script '{path}' links to a file outside the scripts folder");
            string source;
            try
            {
                source = Inline(full, root, []);
            }
            catch (InvalidOperationException e)
            {
                return (null, $"script '{path}': {e.Message}");
            }
            var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)));
            return (new TaskScript(normalized, sha, source), null);
        }
        return (null, $"script '{path}' was not found in the scripts folder");
    }

    /// <summary>
    /// Replaces <c>#load "other.csx"</c> lines with the loaded file (relative to the loading file, inside the root), so
    /// scripts can share code and the snapshot the workers receive is still one self-contained source.
    /// </summary>
    private static string Inline(string file, string root, HashSet<string> loading)
    {
        if (!loading.Add(file)) throw new InvalidOperationException($"#load cycle through {Path.GetRelativePath(root, file)}");
        var output = new StringBuilder();
        foreach (var line in File.ReadLines(file, Encoding.UTF8))
        {
            var directive = ReferenceDirective().Match(line);
            if (!directive.Success)
            {
                output.AppendLine(line);
                continue;
            }
            var target = directive.Groups["argument"].Value.Trim('"');
            if (directive.Groups["directive"].Value == "r")
                throw new InvalidOperationException($"#r \"{target}\" is not allowed: scripts use the platform's assemblies only");
            var full = RealPath.Of(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, target)));
            if (!Inside(full, root) || !File.Exists(full))
                throw new InvalidOperationException($"#load \"{target}\" does not name a script inside the scripts folder");
            output.Append(Inline(full, root, loading));
        }
        loading.Remove(file);
        return output.ToString();
    }

    private static bool Inside(string path, string root) => path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
