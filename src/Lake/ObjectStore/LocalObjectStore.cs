namespace AiPlatform.Lake.ObjectStore;

/// <summary>
/// A folder on local disk. Create-if-absent writes aside and links the file in (<see cref="ExclusiveLink"/>), which is atomic. Every key stays
/// inside the root: absolute keys and <c>..</c> segments that would leave it are refused.
/// </summary>
public sealed class LocalObjectStore(string root) : IObjectStore
{
    private readonly string _root = Path.GetFullPath(root);

    public string Uri(string path) => Path.Combine(_root, path);

    private string Full(string path)
    {
        if (Path.IsPathRooted(path) || path.Contains('\0'))
            throw new ArgumentException($"object key '{path}' must be a relative path inside the store root {_root}");
        var full = Path.GetFullPath(Path.Combine(_root, path));
        if (full != _root && !full.StartsWith(_root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"object key '{path}' leaves the store root {_root}");
        return full;
    }

    public Task<byte[]> ReadAsync(string path, CancellationToken ct = default) => File.ReadAllBytesAsync(Full(path), ct);

    public Task<Stream> OpenReadAsync(string path, CancellationToken ct = default) =>
        Task.FromResult<Stream>(new FileStream(Full(path), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));

    /// <summary>Large ranges are read in parts on every core: copying out of the page cache is the whole cost of a local read.</summary>
    private const int PartBytes = 8 * 1024 * 1024;

    public async Task<byte[]> ReadRangeAsync(string path, long offset, int length, CancellationToken ct = default)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(length);
        await ReadRangeIntoAsync(path, offset, buffer, ct);
        return buffer;
    }

    public async Task ReadRangeIntoAsync(string path, long offset, Memory<byte> destination, CancellationToken ct = default)
    {
        using var file = File.OpenHandle(Full(path), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.RandomAccess);
        await RangeParts.ReadAsync(offset, destination, PartBytes, Environment.ProcessorCount, async (at, part, token) =>
        {
            var read = 0;
            while (read < part.Length)
            {
                var n = await RandomAccess.ReadAsync(file, part[read..], at + read, token);
                if (n == 0) throw new EndOfStreamException($"{path} ends before byte {offset + destination.Length}");
                read += n;
            }
        }, ct);
    }

    public bool RangedReadsAreCheap => true;

    public Task<long?> SizeAsync(string path, CancellationToken ct = default)
    {
        var info = new FileInfo(Full(path));
        return Task.FromResult(info.Exists ? info.Length : (long?)null);
    }

    public Task UploadAsync(string path, string localFile, CancellationToken ct = default)
    {
        var target = Full(path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(localFile, target, overwrite: true);
        return Task.CompletedTask;
    }

    public async Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        var target = Full(path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        // Write aside and rename, so readers never see half a file.
        var temporary = $"{target}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temporary, bytes.ToArray(), ct);
        File.Move(temporary, target, overwrite: true);
    }

    public async Task<bool> CreateIfAbsentAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        var target = Full(path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        // Written aside first, then linked in: the manifest appears whole or not at all, and only once.
        var temporary = $"{target}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temporary, bytes.ToArray(), ct);
        return ExclusiveLink.TryMove(temporary, target);
    }

    public Task<IReadOnlyList<ObjectInfo>> ListAsync(string prefix, CancellationToken ct = default)
    {
        var folder = Full(prefix);
        IReadOnlyList<ObjectInfo> result = !Directory.Exists(folder)
            ? []
            : new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories)
                .Where(f => !f.Name.EndsWith(".tmp", StringComparison.Ordinal))
                .Select(f => new ObjectInfo(Path.GetRelativePath(_root, f.FullName).Replace('\\', '/'), f.Length, f.LastWriteTimeUtc))
                .ToList();
        return Task.FromResult(result);
    }

    public Task DeleteAsync(string path, CancellationToken ct = default)
    {
        File.Delete(Full(path));
        return Task.CompletedTask;
    }

    public Task DeletePrefixAsync(string prefix, CancellationToken ct = default)
    {
        var folder = Full(prefix);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        return Task.CompletedTask;
    }
}
