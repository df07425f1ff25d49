namespace AiPlatform.Lake.Dataset;

/// <summary>
/// Manifest file names. Current Lance writes <c>u64::MAX - version</c> as 20 digits (newest sorts first); older
/// writers used <c>{version}.manifest</c>. Both are read; the current scheme is written.
/// </summary>
public static class Versions
{
    public const string Folder = "_versions";

    public static string ManifestName(long version) => $"{ulong.MaxValue - (ulong)version:D20}.manifest";

    /// <summary>
    /// Beside the manifest of an archived version: the record of the archive (which files went to cold storage). A
    /// reader that finds it knows the version's data is not in place, without a request more than its listing.
    /// </summary>
    public static string ArchiveRecordName(long version) => $"{version}.archived";

    public static long? ParseArchiveRecord(string fileName) =>
        fileName.EndsWith(".archived", StringComparison.Ordinal) && long.TryParse(fileName[..^".archived".Length], out var version) ? version : null;

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

/// <summary>
/// The version's files were moved to cold storage by the registry. The message names the restore call, since that is
/// what the reader has to do about it.
/// </summary>
public sealed class VersionArchivedException(string uri, string path, long version)
    : LakeException($"VERSION_ARCHIVED: version {version} of {uri} is archived (its files are in cold storage); {RestoreHint(path, version)}")
{
    public const string Code = "VERSION_ARCHIVED";

    public long Version { get; } = version;

    private static string RestoreHint(string path, long version)
    {
        var parts = path.Split('/');
        return parts is [var folder and ("datasets" or "models"), var entry] && entry.EndsWith(".lance", StringComparison.Ordinal)
            ? $"restore it with POST /api/v1/{folder}/{entry[..^".lance".Length]}/versions/{version}/restore"
            : "restore it through the registry first";
    }
}
