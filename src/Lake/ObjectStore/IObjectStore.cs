namespace AiPlatform.Lake.ObjectStore;

/// <summary>Bytes at paths, relative to the store's root. The only place that knows whether the lake is a folder or a bucket.</summary>
public interface IObjectStore
{
    /// <summary>A display form of where a path lives, e.g. <c>s3://bucket/prefix/path</c>.</summary>
    string Uri(string path);

    Task<byte[]> ReadAsync(string path, CancellationToken ct = default);

    /// <summary>A stream over the whole object, read as it is consumed (large inputs need not fit in memory).</summary>
    Task<Stream> OpenReadAsync(string path, CancellationToken ct = default);

    Task<byte[]> ReadRangeAsync(string path, long offset, int length, CancellationToken ct = default);

    /// <summary>
    /// Bytes [offset, offset + destination.Length) straight into <paramref name="destination"/>, which may be a column's
    /// own array: large values then cross memory once. Stores that cannot read into a buffer copy a ranged read.
    /// </summary>
    async Task ReadRangeIntoAsync(string path, long offset, Memory<byte> destination, CancellationToken ct = default) =>
        (await ReadRangeAsync(path, offset, destination.Length, ct)).CopyTo(destination);

    /// <summary>
    /// Whether a ranged read costs about its bytes alone (a local file) rather than a request's latency too (S3):
    /// readers then fetch just the bytes they need, however often, instead of whole pages kept for later.
    /// </summary>
    bool RangedReadsAreCheap => false;

    Task<long?> SizeAsync(string path, CancellationToken ct = default);

    /// <summary>Writes an object from a file on local disk (multipart for big ones on S3), replacing what is there.</summary>
    Task UploadAsync(string path, string localFile, CancellationToken ct = default);

    Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default);

    /// <summary>Creates the object only if nothing is at the path yet; false when another writer got there first.</summary>
    Task<bool> CreateIfAbsentAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default);

    /// <summary>Objects under a prefix (recursively), with their sizes and last-modified times.</summary>
    Task<IReadOnlyList<ObjectInfo>> ListAsync(string prefix, CancellationToken ct = default);

    Task DeleteAsync(string path, CancellationToken ct = default);

    Task DeletePrefixAsync(string prefix, CancellationToken ct = default);
}

public sealed record ObjectInfo(string Path, long Size, DateTimeOffset LastModified);
