namespace AiPlatform.Lake.Dataset;

/// <summary>
/// Manifest file names. Current Lance writes <c>u64::MAX - version</c> as 20 digits (newest sorts first); older
/// writers used <c>{version}.manifest</c>. Both are read; the current scheme is written.
/// </summary>
public static class Versions
{
    public const string Folder = "_versions";

    public static string ManifestName(long version) => $"{ulong.MaxValue - (ulong)version:D20}.manifest";

    public static long? Parse(string fileName)
    {
        if (!fileName.EndsWith(".manifest", StringComparison.Ordinal)) return null;
        var stem = fileName[..^".manifest".Length];
        if (!ulong.TryParse(stem, out var number)) return null;
        return stem.Length == 20 && number > ulong.MaxValue / 2 ? (long)(ulong.MaxValue - number) : (long)number;
    }
}

public class LakeException(string message) : Exception(message);

/// <summary>Another writer committed first and this commit cannot be applied on top of it.</summary>
public sealed class LakeConflictException(string message) : LakeException(message);

public sealed class DatasetNotFoundException(string message) : LakeException(message);

public sealed class DatasetAlreadyExistsException(string message) : LakeException(message);
