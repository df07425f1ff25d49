using System.Security.Cryptography;
using System.Text.Json;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Catalog;

public static class ArchiveStates
{
    /// <summary>Copies to cold storage are under way; every file is still in place.</summary>
    public const string Archiving = "archiving";
    /// <summary>Every moved file is in cold storage and verified; the copies in place are being deleted.</summary>
    public const string Copied = "copied";
    /// <summary>Done: the moved files are only in cold storage.</summary>
    public const string Archived = "archived";
    /// <summary>Files are coming back; the version is readable once the record is gone.</summary>
    public const string Restoring = "restoring";
}

/// <summary>A file an archive moved, with what it must hash to wherever it is.</summary>
public sealed record ArchivedFile(string Path, long Size, string Sha256);

/// <summary>The journal of one version's archive, kept beside its manifest (<c>_versions/{N}.archived</c>).</summary>
public sealed record ArchiveRecord(long Version, string State, DateTimeOffset At, string ColdLocation, IReadOnlyList<ArchivedFile> Files)
{
    public long Bytes => Files.Sum(f => f.Size);
}

/// <summary>What recovery did with a record a crash left behind.</summary>
public enum ArchiveRecovery
{
    /// <summary>The copies were complete: the archive was finished.</summary>
    Finished,
    /// <summary>The copies were not complete: the archive was undone and the version is readable.</summary>
    Undone,
    /// <summary>A restore was under way: it was finished and the version is readable.</summary>
    Restored,
}

/// <summary>
/// Moves the files only an archived version needs to cold storage and brings them back, bit-exact. Every step is
/// copy, verify by sha256, then delete, and the record written before the first copy says how far it got, so a crash
/// at any point is finished or undone by <see cref="RecoverAsync"/> and no file is ever only half in one place.
/// Files another version still needs in place are never moved.
/// </summary>
public sealed class VersionArchive(LakeCatalog lake, ColdStorage cold)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public ColdStorage Cold => cold;

    /// <summary>
    /// Archives <paramref name="version"/>, keeping in place every file the versions in <paramref name="keepInPlace"/>
    /// (those still readable) need. Archiving an archived version changes nothing.
    /// </summary>
    public async Task<ArchiveRecord> ArchiveAsync(EntryKind kind, string name, long version, IReadOnlyCollection<long> keepInPlace, CancellationToken ct)
    {
        var path = LakeCatalog.PathOf(kind, name);
        if (await ReadRecordAsync(path, version, ct) is { } existing)
        {
            await RecoverAsync(path, existing, ct);
            if (await ReadRecordAsync(path, version, ct) is { State: ArchiveStates.Archived } done) return done;
        }

        var kept = new HashSet<string>();
        foreach (var other in keepInPlace.Where(v => v != version))
            kept.UnionWith((await VersionFiles.OfAsync(lake.Store, path, other, ct)).Select(f => f.Path));
        var moving = (await VersionFiles.OfAsync(lake.Store, path, version, ct)).Where(f => !kept.Contains(f.Path)).ToList();

        // The record goes first: from here on readers are told the version is archived, and a crash is recoverable.
        await WriteRecordAsync(path, new ArchiveRecord(version, ArchiveStates.Archiving, DateTimeOffset.UtcNow, cold.Uri(path),
            moving.Select(f => new ArchivedFile(f.Path, f.SizeBytes, "")).ToList()), ct);
        var moved = new List<ArchivedFile>();
        foreach (var file in moving)
        {
            // Absent in place: already in cold storage, moved with another archived version that shares it.
            if (await lake.Store.SizeAsync($"{path}/{file.Path}", ct) is null) continue;
            moved.Add(await CopyAsync(lake.Store, $"{path}/{file.Path}", cold.Store, cold.PathOf(path, file.Path), file.Path, null, ct));
        }
        return await FinishArchiveAsync(path, new ArchiveRecord(version, ArchiveStates.Copied, DateTimeOffset.UtcNow, cold.Uri(path), moved), ct);
    }

    private async Task<ArchiveRecord> FinishArchiveAsync(string path, ArchiveRecord copied, CancellationToken ct)
    {
        await WriteRecordAsync(path, copied, ct);
        foreach (var file in copied.Files) await DeleteIfPresentAsync(lake.Store, $"{path}/{file.Path}", ct);
        var record = copied with { State = ArchiveStates.Archived };
        await WriteRecordAsync(path, record, ct);
        return record;
    }

    /// <summary>Brings every file the version needs back in place, verified, and makes it readable; null when it was not archived.</summary>
    public async Task<ArchiveRecord?> RestoreAsync(EntryKind kind, string name, long version, CancellationToken ct)
    {
        var path = LakeCatalog.PathOf(kind, name);
        var record = await ReadRecordAsync(path, version, ct);
        if (record is null) return null;
        if (record.State == ArchiveStates.Archiving)
        {
            await UndoAsync(path, record, ct);
            return record;
        }
        await FinishRestoreAsync(path, record with { State = ArchiveStates.Restoring }, ct);
        return record;
    }

    /// <summary>The archive record of a version, or null when it is in place.</summary>
    public Task<ArchiveRecord?> RecordAsync(EntryKind kind, string name, long version, CancellationToken ct) =>
        ReadRecordAsync(LakeCatalog.PathOf(kind, name), version, ct);

    /// <summary>Finishes or undoes whatever a crash left half done for one dataset or model; what it did, per version.</summary>
    public async Task<IReadOnlyList<(long Version, ArchiveRecovery Outcome)>> RecoverAsync(EntryKind kind, string name, CancellationToken ct)
    {
        var path = LakeCatalog.PathOf(kind, name);
        var outcomes = new List<(long, ArchiveRecovery)>();
        foreach (var version in await RecordedVersionsAsync(path, ct))
            if (await ReadRecordAsync(path, version, ct) is { State: not ArchiveStates.Archived } record)
                outcomes.Add((version, await RecoverAsync(path, record, ct)));
        return outcomes;
    }

    /// <summary>
    /// Removes a version for good: its manifest first (so nothing readable points at what follows), then the files no
    /// other version needs, in place and in cold storage. Returns the files removed.
    /// </summary>
    public async Task<IReadOnlyList<VersionFile>> PurgeAsync(EntryKind kind, string name, long version, CancellationToken ct)
    {
        var path = LakeCatalog.PathOf(kind, name);
        var files = await VersionFiles.OfAsync(lake.Store, path, version, ct);
        var needed = new HashSet<string>();
        foreach (var other in (await lake.ListVersionsAsync(kind, name, ct)).Where(v => v != version))
            needed.UnionWith((await VersionFiles.OfAsync(lake.Store, path, other, ct)).Select(f => f.Path));
        foreach (var manifest in new[] { Versions.ManifestName(version), $"{version}.manifest" })
            await DeleteIfPresentAsync(lake.Store, $"{path}/{Versions.Folder}/{manifest}", ct);
        await DeleteIfPresentAsync(lake.Store, RecordPath(path, version), ct);
        var removed = files.Where(f => !needed.Contains(f.Path)).ToList();
        foreach (var file in removed)
        {
            await DeleteIfPresentAsync(lake.Store, $"{path}/{file.Path}", ct);
            await DeleteIfPresentAsync(cold.Store, cold.PathOf(path, file.Path), ct);
        }
        return removed;
    }

    /// <summary>Removes a whole dataset or model, in place (manifests first) and in cold storage.</summary>
    public async Task DeleteAllAsync(EntryKind kind, string name, CancellationToken ct)
    {
        var path = LakeCatalog.PathOf(kind, name);
        await lake.Store.DeletePrefixAsync($"{path}/{Versions.Folder}", ct);
        await lake.Store.DeletePrefixAsync(path, ct);
        await cold.Store.DeletePrefixAsync(cold.PathOf(path, "").TrimEnd('/'), ct);
    }

    private async Task<ArchiveRecovery> RecoverAsync(string path, ArchiveRecord record, CancellationToken ct)
    {
        switch (record.State)
        {
            case ArchiveStates.Archiving:
                await UndoAsync(path, record, ct);
                return ArchiveRecovery.Undone;
            case ArchiveStates.Restoring:
                await FinishRestoreAsync(path, record, ct);
                return ArchiveRecovery.Restored;
            case ArchiveStates.Copied:
                // The copies were verified before the record said so: what is still in place can go.
                await FinishArchiveAsync(path, record, ct);
                return ArchiveRecovery.Finished;
            default:
                return ArchiveRecovery.Finished;
        }
    }

    /// <summary>A crashed archive: every file is still in place, so the copies made so far are dropped and the version is readable again.</summary>
    private async Task UndoAsync(string path, ArchiveRecord record, CancellationToken ct)
    {
        foreach (var file in record.Files)
            if (await lake.Store.SizeAsync($"{path}/{file.Path}", ct) is not null)
                await DeleteIfPresentAsync(cold.Store, cold.PathOf(path, file.Path), ct);
        await DeleteIfPresentAsync(lake.Store, RecordPath(path, record.Version), ct);
    }

    private async Task FinishRestoreAsync(string path, ArchiveRecord record, CancellationToken ct)
    {
        await WriteRecordAsync(path, record, ct);
        var expected = await KnownHashesAsync(path, ct);
        var files = await VersionFiles.OfAsync(lake.Store, path, record.Version, ct);
        foreach (var file in files)
        {
            var inPlace = $"{path}/{file.Path}";
            var hash = expected.GetValueOrDefault(file.Path);
            // A copy a crashed restore left may be partial: it stays only if it hashes right.
            if (await lake.Store.SizeAsync(inPlace, ct) is not null && (hash is null || await HashAsync(lake.Store, inPlace, ct) == hash)) continue;
            var coldPath = cold.PathOf(path, file.Path);
            if (await cold.Store.SizeAsync(coldPath, ct) is null)
                throw new FileNotFoundException($"{lake.Store.Uri(inPlace)} is needed by version {record.Version} but is neither in place nor in cold storage ({cold.Store.Uri(coldPath)})");
            await CopyAsync(cold.Store, coldPath, lake.Store, inPlace, file.Path, hash, ct);
        }
        // Every file is in place and verified: the cold copies go, then the record, which makes the version readable.
        // A crash in between leaves the record, and recovery finishes from here.
        foreach (var file in files) await DeleteIfPresentAsync(cold.Store, cold.PathOf(path, file.Path), ct);
        await DeleteIfPresentAsync(lake.Store, RecordPath(path, record.Version), ct);
    }

    /// <summary>sha256 of every file any archive of this dataset moved, from the records.</summary>
    private async Task<Dictionary<string, string>> KnownHashesAsync(string path, CancellationToken ct)
    {
        var hashes = new Dictionary<string, string>();
        foreach (var version in await RecordedVersionsAsync(path, ct))
            if (await ReadRecordAsync(path, version, ct) is { } record)
                foreach (var file in record.Files.Where(f => f.Sha256.Length > 0))
                    hashes[file.Path] = file.Sha256;
        return hashes;
    }

    /// <summary>Copies through a local temp file (big files never sit in memory), then hashes the copy where it landed.</summary>
    private static async Task<ArchivedFile> CopyAsync(IObjectStore from, string source, IObjectStore to, string target, string relative, string? expected,
        CancellationToken ct)
    {
        var temporary = Path.Combine(Path.GetTempPath(), $"aip-archive-{Guid.NewGuid():N}");
        try
        {
            string sha256;
            long size;
            await using (var input = await from.OpenReadAsync(source, ct))
            await using (var output = File.Create(temporary))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 20];
                int read;
                while ((read = await input.ReadAsync(buffer, ct)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), ct);
                }
                sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
                size = output.Length;
            }
            if (expected is not null && sha256 != expected)
                throw new InvalidDataException($"{from.Uri(source)} hashes to {sha256}, not the {expected} recorded when it was archived");
            await to.UploadAsync(target, temporary, ct);
            var landed = await HashAsync(to, target, ct);
            if (landed != sha256) throw new InvalidDataException($"the copy of {from.Uri(source)} at {to.Uri(target)} hashes to {landed}, not {sha256}");
            return new ArchivedFile(relative, size, sha256);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>A delete of what is already gone succeeds, on any store (a local folder that never held the file included).</summary>
    private static async Task DeleteIfPresentAsync(IObjectStore store, string path, CancellationToken ct)
    {
        if (await store.SizeAsync(path, ct) is not null) await store.DeleteAsync(path, ct);
    }

    private static async Task<string> HashAsync(IObjectStore store, string path, CancellationToken ct)
    {
        await using var stream = await store.OpenReadAsync(path, ct);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    private async Task<IReadOnlyList<long>> RecordedVersionsAsync(string path, CancellationToken ct) =>
        (await lake.Store.ListAsync($"{path}/{Versions.Folder}", ct))
        .Select(f => Versions.ParseArchiveRecord(Path.GetFileName(f.Path))).OfType<long>().Order().ToList();

    private async Task<ArchiveRecord?> ReadRecordAsync(string path, long version, CancellationToken ct)
    {
        var recordPath = RecordPath(path, version);
        if (await lake.Store.SizeAsync(recordPath, ct) is null) return null;
        return JsonSerializer.Deserialize<ArchiveRecord>(await lake.Store.ReadAsync(recordPath, ct), Json);
    }

    private Task WriteRecordAsync(string path, ArchiveRecord record, CancellationToken ct) =>
        lake.Store.WriteAsync(RecordPath(path, record.Version), JsonSerializer.SerializeToUtf8Bytes(record, Json), ct);

    private static string RecordPath(string path, long version) => $"{path}/{Versions.Folder}/{Versions.ArchiveRecordName(version)}";
}
