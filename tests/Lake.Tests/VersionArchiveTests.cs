using System.Security.Cryptography;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;
using Xunit;

namespace AiPlatform.Lake.Tests;

/// <summary>Archive and restore of dataset versions on the lake itself: what moves, what stays, bit-exact round trips, crashes.</summary>
public sealed class VersionArchiveTests
{
    private static readonly Schema Values = new(new Field("value", LanceType.Float64, false));

    [Theory]
    [MemberData(nameof(Stores.Kinds), MemberType = typeof(Stores))]
    public async Task Only_files_no_readable_version_needs_move_and_restore_brings_every_file_back_bit_exact(string kind)
    {
        var (lake, archive, cold) = Open(Stores.Open(kind));
        await WriteAsync(lake, WriteMode.Create, 0, 100);     // v1: file A
        await WriteAsync(lake, WriteMode.Append, 100, 50);    // v2: A + B
        await WriteAsync(lake, WriteMode.Overwrite, 500, 20); // v3: C
        var original = await HashesAsync(lake.Store, "datasets/d.lance/data");
        Assert.Equal(3, original.Count);
        var (a, c) = (await FileOfAsync(lake, 1), await FileOfAsync(lake, 3));
        var b = original.Keys.Single(k => k != a && k != c);
        var archivedPair = new[] { a, b }.Order().ToArray();

        // v1's only file is needed by v2, which is readable: nothing moves, but v1 reads as archived.
        var first = await archive.ArchiveAsync(EntryKind.Dataset, "d", 1, keepInPlace: [2, 3], default);
        Assert.Empty(first.Files);
        var refused = await Assert.ThrowsAsync<VersionArchivedException>(() => lake.OpenDatasetAsync("d", 1));
        Assert.Contains("POST /api/v1/datasets/d/versions/1/restore", refused.Message);
        Assert.Equal(150, (await lake.OpenDatasetAsync("d", 2)).CountRows);

        // Archiving v2 with v1 archived: A and B are needed only by archived versions, so both go; v3's file stays.
        var second = await archive.ArchiveAsync(EntryKind.Dataset, "d", 2, keepInPlace: [3], default);
        Assert.Equal(archivedPair.Select(p => (p, original[p])), second.Files.OrderBy(f => f.Path).Select(f => (f.Path, f.Sha256)));
        Assert.Equal([c], (await HashesAsync(lake.Store, "datasets/d.lance/data")).Keys);
        Assert.Equal(archivedPair.Select(p => (p, original[p])), (await HashesAsync(cold.Store, "cold/datasets/d.lance/data")).OrderBy(h => h.Key).Select(h => (h.Key, h.Value)));
        await Assert.ThrowsAsync<VersionArchivedException>(() => lake.OpenDatasetAsync("d", 2));
        Assert.Equal(20, (await lake.OpenDatasetAsync("d")).CountRows);

        // v1 comes back although its file went away with v2's archive; then v2; every file hashes as before.
        await archive.RestoreAsync(EntryKind.Dataset, "d", 1, default);
        Assert.Equal(100, (await (await lake.OpenDatasetAsync("d", 1)).ReadAsync()).Length);
        await Assert.ThrowsAsync<VersionArchivedException>(() => lake.OpenDatasetAsync("d", 2));
        await archive.RestoreAsync(EntryKind.Dataset, "d", 2, default);
        var batch = await (await lake.OpenDatasetAsync("d", 2)).ReadAsync();
        Assert.Equal(Enumerable.Range(0, 150).Select(i => (double)i), batch.Column<Float64Column>("value").Values.ToArray());
        Assert.Equal(original, await HashesAsync(lake.Store, "datasets/d.lance/data"));
        Assert.Empty(await cold.Store.ListAsync("cold/datasets/d.lance"));
        Assert.Null(await archive.RecordAsync(EntryKind.Dataset, "d", 2, default));
    }

    [Theory]
    [MemberData(nameof(Stores.Kinds), MemberType = typeof(Stores))]
    public async Task A_crash_while_copying_is_undone_and_a_crash_after_the_copies_is_finished(string kind)
    {
        var store = new FaultyStore(Stores.Open(kind));
        var (lake, archive, cold) = Open(store);
        // v3 holds three files (three appends); v4 (an overwrite) is the only version kept in place.
        await WriteAsync(lake, WriteMode.Create, 0, 100);
        await WriteAsync(lake, WriteMode.Append, 100, 100);
        await WriteAsync(lake, WriteMode.Append, 200, 100);
        await WriteAsync(lake, WriteMode.Overwrite, 0, 10);
        var original = await HashesAsync(lake.Store, "datasets/d.lance/data");

        // The second copy to cold storage fails: nothing in place was touched, and recovery drops the copies.
        store.FailUpload = path => path.StartsWith("cold/", StringComparison.Ordinal) && ++store.Uploads == 2;
        await Assert.ThrowsAsync<IOException>(() => archive.ArchiveAsync(EntryKind.Dataset, "d", 3, keepInPlace: [4], default));
        store.FailUpload = _ => false;
        Assert.Single(await cold.Store.ListAsync("cold/datasets/d.lance/data"));
        Assert.Equal([(3L, ArchiveRecovery.Undone)], await archive.RecoverAsync(EntryKind.Dataset, "d", default));
        Assert.Equal(300, (await lake.OpenDatasetAsync("d", 3)).CountRows);
        Assert.Empty(await cold.Store.ListAsync("cold/datasets/d.lance"));
        Assert.Equal(original, await HashesAsync(lake.Store, "datasets/d.lance/data"));

        // The copies are verified, then deleting the originals fails: recovery finishes the archive.
        store.FailDelete = path => path.Contains("/data/", StringComparison.Ordinal) && !path.StartsWith("cold/", StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(() => archive.ArchiveAsync(EntryKind.Dataset, "d", 3, keepInPlace: [4], default));
        store.FailDelete = _ => false;
        Assert.Equal([(3L, ArchiveRecovery.Finished)], await archive.RecoverAsync(EntryKind.Dataset, "d", default));
        await Assert.ThrowsAsync<VersionArchivedException>(() => lake.OpenDatasetAsync("d", 3));
        Assert.Equal(3, (await cold.Store.ListAsync("cold/datasets/d.lance/data")).Count);
        Assert.Single(await lake.Store.ListAsync("datasets/d.lance/data"));

        // A restore that dies after its copies: recovery finishes it, and the round trip is bit-exact.
        store.FailDelete = path => path.StartsWith("cold/", StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(() => archive.RestoreAsync(EntryKind.Dataset, "d", 3, default));
        store.FailDelete = _ => false;
        Assert.Equal([(3L, ArchiveRecovery.Restored)], await archive.RecoverAsync(EntryKind.Dataset, "d", default));
        Assert.Equal(300, (await lake.OpenDatasetAsync("d", 3)).CountRows);
        Assert.Empty(await cold.Store.ListAsync("cold/datasets/d.lance"));
        Assert.Equal(original, await HashesAsync(lake.Store, "datasets/d.lance/data"));
    }

    [Theory]
    [MemberData(nameof(Stores.Kinds), MemberType = typeof(Stores))]
    public async Task Each_model_version_has_files_of_its_own_so_archiving_an_old_one_frees_them(string kind)
    {
        var (lake, archive, _) = Open(Stores.Open(kind));
        foreach (var weight in new[] { 1.0, 2.0, 3.0 })
            await lake.Models.SaveAsync("m", new ModelArtifact("Sum", BitConverter.GetBytes(weight), [], [], []));
        var record = await archive.ArchiveAsync(EntryKind.Model, "m", 2, keepInPlace: [1, 3], default);
        Assert.Single(record.Files);
        Assert.Equal(1.0, BitConverter.ToDouble((await lake.Models.LoadAsync("m", 1)).Weights));
        Assert.Equal(3.0, BitConverter.ToDouble((await lake.Models.LoadAsync("m")).Weights));
        await Assert.ThrowsAsync<VersionArchivedException>(() => lake.Models.LoadAsync("m", 2));
        await archive.RestoreAsync(EntryKind.Model, "m", 2, default);
        Assert.Equal(2.0, BitConverter.ToDouble((await lake.Models.LoadAsync("m", 2)).Weights));
    }

    private static (LakeCatalog Lake, VersionArchive Archive, ColdStorage Cold) Open(IObjectStore store)
    {
        var lake = new LakeCatalog(store);
        var cold = new ColdStorage(store, "cold");
        return (lake, new VersionArchive(lake, cold), cold);
    }

    private static async Task WriteAsync(LakeCatalog lake, WriteMode mode, int from, int rows)
    {
        await using var writer = lake.CreateDatasetWriter("d", Values, mode);
        await writer.WriteAsync(new RecordBatch(Values, [new Float64Column(Enumerable.Range(from, rows).Select(i => (double)i).ToArray())]));
        await writer.CommitAsync();
    }

    private static async Task<string> FileOfAsync(LakeCatalog lake, long version) =>
        (await VersionFiles.OfAsync(lake.Store, "datasets/d.lance", version)).Single().Path;

    /// <summary>sha256 of every object under a prefix, keyed by its path relative to the dataset folder (<c>data/…</c>).</summary>
    private static async Task<Dictionary<string, string>> HashesAsync(IObjectStore store, string prefix)
    {
        var hashes = new Dictionary<string, string>();
        foreach (var o in (await store.ListAsync(prefix)).OrderBy(o => o.Path))
        {
            await using var stream = await store.OpenReadAsync(o.Path);
            hashes[o.Path[o.Path.IndexOf("data/", StringComparison.Ordinal)..]] = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
        }
        return hashes;
    }

    /// <summary>A store that fails chosen uploads or deletes, as a crash at that point would leave things.</summary>
    private sealed class FaultyStore(IObjectStore inner) : IObjectStore
    {
        public Func<string, bool> FailUpload { get; set; } = _ => false;
        public Func<string, bool> FailDelete { get; set; } = _ => false;
        public int Uploads { get; set; }

        public string Uri(string path) => inner.Uri(path);
        public Task<byte[]> ReadAsync(string path, CancellationToken ct = default) => inner.ReadAsync(path, ct);
        public Task<Stream> OpenReadAsync(string path, CancellationToken ct = default) => inner.OpenReadAsync(path, ct);
        public Task<byte[]> ReadRangeAsync(string path, long offset, int length, CancellationToken ct = default) => inner.ReadRangeAsync(path, offset, length, ct);
        public Task<long?> SizeAsync(string path, CancellationToken ct = default) => inner.SizeAsync(path, ct);

        public Task UploadAsync(string path, string localFile, CancellationToken ct = default) =>
            FailUpload(path) ? throw new IOException($"injected failure uploading {path}") : inner.UploadAsync(path, localFile, ct);

        public Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default) => inner.WriteAsync(path, bytes, ct);
        public Task<bool> CreateIfAbsentAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default) => inner.CreateIfAbsentAsync(path, bytes, ct);
        public Task<IReadOnlyList<ObjectInfo>> ListAsync(string prefix, CancellationToken ct = default) => inner.ListAsync(prefix, ct);

        public Task DeleteAsync(string path, CancellationToken ct = default) =>
            FailDelete(path) ? throw new IOException($"injected failure deleting {path}") : inner.DeleteAsync(path, ct);

        public Task DeletePrefixAsync(string prefix, CancellationToken ct = default) => inner.DeletePrefixAsync(prefix, ct);
    }
}
