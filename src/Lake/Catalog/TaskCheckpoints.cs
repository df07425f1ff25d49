using System.IO.Compression;
using System.Text.Json;
using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Catalog;

/// <summary>A training's state at the end of an epoch: named parts (weights, optimizer state, anything else) as bytes.</summary>
public sealed record Checkpoint(int Epoch, IReadOnlyDictionary<string, byte[]> Parts);

/// <summary>
/// One task's checkpoints, under <c>checkpoints/&lt;task id&gt;/</c> in the lake: every attempt of the task reads and writes
/// the same place, so an attempt that follows a killed or released one resumes where it stopped. Each checkpoint is one
/// object (a zip of its parts), written whole or not at all, and only the newest few are kept.
/// </summary>
public sealed class TaskCheckpoints(IObjectStore store, Guid taskId)
{
    public Guid TaskId => taskId;

    public const string Folder = "checkpoints";
    private const string Suffix = ".ckpt";
    private const string Header = "checkpoint.json";

    /// <summary>The newest checkpoints kept; one more than the latest, in case the latest is damaged.</summary>
    private const int Kept = 2;

    public static string PathOf(Guid taskId) => $"{Folder}/{taskId:N}";

    public async Task SaveAsync(Checkpoint checkpoint, CancellationToken ct = default)
    {
        if (checkpoint.Epoch < 0) throw new ArgumentOutOfRangeException(nameof(checkpoint), checkpoint.Epoch, "a checkpoint's epoch cannot be negative");
        if (checkpoint.Parts.Count == 0) throw new ArgumentException("a checkpoint needs at least one part", nameof(checkpoint));
        foreach (var name in checkpoint.Parts.Keys) LakeCatalog.ValidateName(name);

        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            // Weights barely compress; storing them keeps a save as fast as the write.
            await using (var header = zip.CreateEntry(Header, CompressionLevel.Fastest).Open())
                await JsonSerializer.SerializeAsync(header, new CheckpointHeader(checkpoint.Epoch, DateTimeOffset.UtcNow), cancellationToken: ct);
            foreach (var (name, bytes) in checkpoint.Parts)
            {
                await using var part = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                await part.WriteAsync(bytes, ct);
            }
        }
        await store.WriteAsync($"{PathOf(taskId)}/epoch-{checkpoint.Epoch:D8}{Suffix}", buffer.ToArray(), ct);

        foreach (var old in (await ListAsync(ct)).Skip(Kept)) await store.DeleteAsync(old, ct);
    }

    /// <summary>The newest checkpoint that reads whole, or null when the task has none yet.</summary>
    public async Task<Checkpoint?> LoadLatestAsync(CancellationToken ct = default)
    {
        foreach (var path in await ListAsync(ct))
        {
            try
            {
                return await ReadAsync(path, ct);
            }
            catch (Exception e) when (e is InvalidDataException or JsonException)
            {
                // Damaged in storage: an older one still lets the task resume.
            }
        }
        return null;
    }

    /// <summary>Removes every checkpoint of the task: once it has ended, nothing resumes from them.</summary>
    public Task DeleteAllAsync(CancellationToken ct = default) => store.DeletePrefixAsync(PathOf(taskId) + "/", ct);

    /// <summary>The task's checkpoint objects, newest epoch first.</summary>
    private async Task<List<string>> ListAsync(CancellationToken ct) =>
        (await store.ListAsync(PathOf(taskId), ct)).Select(o => o.Path).Where(p => p.EndsWith(Suffix, StringComparison.Ordinal))
        .OrderDescending(StringComparer.Ordinal).ToList();

    private async Task<Checkpoint> ReadAsync(string path, CancellationToken ct)
    {
        using var zip = new ZipArchive(new MemoryStream(await store.ReadAsync(path, ct)), ZipArchiveMode.Read);
        var headerEntry = zip.GetEntry(Header) ?? throw new InvalidDataException($"{store.Uri(path)} has no {Header}");
        CheckpointHeader header;
        await using (var stream = headerEntry.Open())
            header = await JsonSerializer.DeserializeAsync<CheckpointHeader>(stream, cancellationToken: ct)
                     ?? throw new InvalidDataException($"{store.Uri(path)} has an empty {Header}");
        var parts = new Dictionary<string, byte[]>();
        foreach (var entry in zip.Entries.Where(e => e.FullName != Header))
        {
            using var part = new MemoryStream();
            await using (var stream = entry.Open()) await stream.CopyToAsync(part, ct);
            parts[entry.FullName] = part.ToArray();
        }
        return new Checkpoint(header.Epoch, parts);
    }

    private sealed record CheckpointHeader(int Epoch, DateTimeOffset SavedAt);
}
