using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace AiPlatform.Lake.Catalog;

/// <summary>A <c>major.minor.patch</c> version of a registered model or dataset; versions compare by number, not text.</summary>
public readonly record struct SemanticVersion(int Major, int Minor, int Patch) : IComparable<SemanticVersion>
{
    public static readonly SemanticVersion First = new(1, 0, 0);

    public static bool TryParse(string? text, out SemanticVersion version)
    {
        version = default;
        var parts = text?.Split('.');
        if (parts is not { Length: 3 }) return false;
        var numbers = new int[3];
        for (var i = 0; i < 3; i++)
            if (parts[i].Length is 0 or > 9 || !parts[i].All(char.IsAsciiDigit) || (parts[i].Length > 1 && parts[i][0] == '0')
                || !int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
                return false;
        version = new SemanticVersion(numbers[0], numbers[1], numbers[2]);
        return true;
    }

    public static SemanticVersion Parse(string text) => TryParse(text, out var version)
        ? version
        : throw new ArgumentException($"'{text}' is not a semantic version: use major.minor.patch, e.g. 1.4.0");

    /// <summary>The version a new registration gets when none is asked for: the next minor after the highest so far.</summary>
    public static SemanticVersion NextAfter(IEnumerable<SemanticVersion> existing) =>
        existing.DefaultIfEmpty().Max() is var highest && highest == default ? First : highest with { Minor = highest.Minor + 1, Patch = 0 };

    public int CompareTo(SemanticVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);

    public static bool operator <(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) > 0;

    public override string ToString() => $"{Major}.{Minor}.{Patch}";
}
