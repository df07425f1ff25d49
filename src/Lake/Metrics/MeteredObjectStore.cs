using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Metrics;

/// <summary>
/// Counts the bytes that cross an object store, whichever kind it is: one wrapper around every store
/// <see cref="ObjectStores.Open"/> gives out, so local and S3 lakes are measured alike and no store counts for itself.
/// </summary>
public sealed class MeteredObjectStore(IObjectStore inner, string storeKind) : IObjectStore, IDisposable
{
    private readonly KeyValuePair<string, object?> _store = new(LakeMetrics.StoreTag, storeKind);

    public string Uri(string path) => inner.Uri(path);

    public async Task<byte[]> ReadAsync(string path, CancellationToken ct = default) => CountRead(await inner.ReadAsync(path, ct));

    public async Task<Stream> OpenReadAsync(string path, CancellationToken ct = default) =>
        new CountingReadStream(await inner.OpenReadAsync(path, ct), bytes => LakeMetrics.BytesRead.Add(bytes, _store));

    public async Task<byte[]> ReadRangeAsync(string path, long offset, int length, CancellationToken ct = default) =>
        CountRead(await inner.ReadRangeAsync(path, offset, length, ct));

    public async Task ReadRangeIntoAsync(string path, long offset, Memory<byte> destination, CancellationToken ct = default)
    {
        await inner.ReadRangeIntoAsync(path, offset, destination, ct);
        LakeMetrics.BytesRead.Add(destination.Length, _store);
    }

    public bool RangedReadsAreCheap => inner.RangedReadsAreCheap;

    public Task<long?> SizeAsync(string path, CancellationToken ct = default) => inner.SizeAsync(path, ct);

    public async Task UploadAsync(string path, string localFile, CancellationToken ct = default)
    {
        // Measured before: a local store moves the file into place.
        var size = new FileInfo(localFile).Length;
        await inner.UploadAsync(path, localFile, ct);
        LakeMetrics.BytesWritten.Add(size, _store);
    }

    public async Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        await inner.WriteAsync(path, bytes, ct);
        LakeMetrics.BytesWritten.Add(bytes.Length, _store);
    }

    public async Task<bool> CreateIfAbsentAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        var created = await inner.CreateIfAbsentAsync(path, bytes, ct);
        if (created) LakeMetrics.BytesWritten.Add(bytes.Length, _store);
        return created;
    }

    public Task<IReadOnlyList<ObjectInfo>> ListAsync(string prefix, CancellationToken ct = default) => inner.ListAsync(prefix, ct);

    public Task DeleteAsync(string path, CancellationToken ct = default) => inner.DeleteAsync(path, ct);

    public Task DeletePrefixAsync(string prefix, CancellationToken ct = default) => inner.DeletePrefixAsync(prefix, ct);

    public void Dispose() => (inner as IDisposable)?.Dispose();

    private byte[] CountRead(byte[] bytes)
    {
        LakeMetrics.BytesRead.Add(bytes.Length, _store);
        return bytes;
    }
}
