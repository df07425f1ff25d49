using System.Text.RegularExpressions;

namespace AiPlatform.Lake.Catalog;

public enum ReferenceKind
{
    /// <summary><c>fashion</c>: the newest readable version.</summary>
    Latest,
    /// <summary><c>fashion@3</c>: a Lance version number.</summary>
    LanceVersion,
    /// <summary><c>fashion-cnn@production</c>: whatever version the alias points at.</summary>
    Alias,
    /// <summary><c>fashion:2.0.0</c>: a registered semantic version.</summary>
    SemanticVersion,
}

/// <summary>
/// How tasks, scripts and the REST API name one version of a dataset or model: <c>name</c>, <c>name@3</c>,
/// <c>name@alias</c> or <c>name:1.4.0</c>. An alias is never all digits, so <c>@</c> is never ambiguous.
/// </summary>
public sealed partial record LakeReference(string Name, ReferenceKind Kind, long? LanceVersion = null, string? Alias = null,
    SemanticVersion? Version = null)
{
    [GeneratedRegex("^[a-z][a-z0-9_-]{0,63}$")]
    private static partial Regex AliasPattern();

    /// <summary>Aliases are lower-case words (production, staging, any user name), never numbers.</summary>
    public static string ValidateAlias(string alias) => AliasPattern().IsMatch(alias)
        ? alias
        : throw new ArgumentException($"'{alias}' is not a valid alias: use 1-64 lower-case letters, digits, '_' or '-', starting with a letter");

    public static LakeReference Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("a reference names a dataset or model, e.g. fashion, fashion@3, fashion-cnn@production or fashion:2.0.0");
        var at = text.IndexOf('@');
        var colon = text.IndexOf(':');
        if (at >= 0 && colon >= 0) throw new ArgumentException($"'{text}' uses both '@' and ':'; use name@version-number, name@alias or name:major.minor.patch");
        if (at >= 0)
        {
            var name = LakeCatalog.ValidateName(text[..at]);
            var selector = text[(at + 1)..];
            if (selector.Length > 0 && selector.All(char.IsAsciiDigit))
                return long.TryParse(selector, out var number) && number >= 1
                    ? new LakeReference(name, ReferenceKind.LanceVersion, LanceVersion: number)
                    : throw new ArgumentException($"'{text}': version numbers start at 1");
            return new LakeReference(name, ReferenceKind.Alias, Alias: ValidateAlias(selector));
        }
        if (colon >= 0)
            return new LakeReference(LakeCatalog.ValidateName(text[..colon]), ReferenceKind.SemanticVersion, Version: SemanticVersion.Parse(text[(colon + 1)..]));
        return new LakeReference(LakeCatalog.ValidateName(text), ReferenceKind.Latest);
    }

    public static string Exact(string name, long lanceVersion) => $"{name}@{lanceVersion}";

    public override string ToString() => Kind switch
    {
        ReferenceKind.LanceVersion => Exact(Name, LanceVersion!.Value),
        ReferenceKind.Alias => $"{Name}@{Alias}",
        ReferenceKind.SemanticVersion => $"{Name}:{Version}",
        _ => Name,
    };
}
