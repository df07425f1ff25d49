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

    public async Task<byte[]> ReadRangeAsync(string path, long offset, int length, CancellationToken ct = default)
    {
        await using var file = new FileStream(Full(path), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.RandomAccess);
        var buffer = new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = await RandomAccess.ReadAsync(file.SafeFileHandle, buffer.AsMemory(read), offset + read, ct);
            if (n == 0) throw new EndOfStreamException($"{path} ends before byte {offset + length}");
            read += n;
        }
        return buffer;
    }

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
