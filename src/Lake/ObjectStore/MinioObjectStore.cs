using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;

namespace AiPlatform.Lake.ObjectStore;

/// <summary>
/// The same bucket prefix as <see cref="S3ObjectStore"/>, through the MinIO .NET SDK. The SDK has no conditional PUT
/// (it turns unknown headers into <c>x-amz-meta-*</c> metadata), so commits get <c>If-None-Match: *</c> from
/// <see cref="MinioHttpFixes"/> below the SDK, which also works around its broken ranged reads.
/// </summary>
public sealed class MinioObjectStore : IObjectStore, IDisposable
{
    private const int SinglePutLimit = 5 << 20;

    private readonly IMinioClient _client;
    private readonly string _bucket;
    private readonly string _prefix;

    public MinioObjectStore(string bucket, string prefix, string serviceUrl, string accessKey, string secretKey, string region)
    {
        _bucket = bucket;
        _prefix = prefix.Trim('/');
        var endpoint = new Uri(serviceUrl);
        _client = new MinioClient()
            .WithEndpoint(endpoint.Host, endpoint.Port)
            .WithSSL(endpoint.Scheme == "https")
            .WithCredentials(accessKey, secretKey)
            // Given, so the SDK does not ask the server for the bucket's location first.
            .WithRegion(region)
            .WithHttpClient(new HttpClient(new MinioHttpFixes { InnerHandler = new SocketsHttpHandler() }), disposeHttpClient: true)
            .WithRetryPolicy(TransientRetry.RunAsync)
            .Build();
    }

    private string Key(string path) => _prefix.Length == 0 ? path : $"{_prefix}/{path}";

    public string Uri(string path) => $"s3://{_bucket}/{Key(path)}";

    public async Task<byte[]> ReadAsync(string path, CancellationToken ct = default)
    {
        using var memory = new MemoryStream();
        await _client.GetObjectAsync(Get(path).WithCallbackStream((body, token) => body.CopyToAsync(memory, token)), ct);
        return memory.ToArray();
    }

    public Task<Stream> OpenReadAsync(string path, CancellationToken ct = default) => CallbackStream.OpenAsync(Get(path), _client, ct);

    public async Task<byte[]> ReadRangeAsync(string path, long offset, int length, CancellationToken ct = default)
    {
        if (length == 0) return [];
        var buffer = new byte[length];
        await _client.GetObjectAsync(Get(path).WithOffsetAndLength(offset, length)
            .WithCallbackStream((body, token) => body.ReadExactlyAsync(buffer, token).AsTask()), ct);
        return buffer;
    }

    private GetObjectArgs Get(string path) => new GetObjectArgs().WithBucket(_bucket).WithObject(Key(path));

    public async Task<long?> SizeAsync(string path, CancellationToken ct = default)
    {
        try
        {
            return (await _client.StatObjectAsync(new StatObjectArgs().WithBucket(_bucket).WithObject(Key(path)), ct)).Size;
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    /// <remarks>The SDK uploads in parts of 16 MiB, one after another, from 5 MiB on.</remarks>
    public async Task UploadAsync(string path, string localFile, CancellationToken ct = default)
    {
        await using (var file = new FileStream(localFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            await _client.PutObjectAsync(Put(path).WithStreamData(file).WithObjectSize(file.Length), ct);
        File.Delete(localFile);
    }

    public async Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        using var body = new MemoryStream(bytes.ToArray());
        await _client.PutObjectAsync(Put(path).WithStreamData(body).WithObjectSize(body.Length), ct);
    }

    public async Task<bool> CreateIfAbsentAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        // From 5 MiB on the SDK switches to a multipart upload, whose parts would each carry the condition.
        if (bytes.Length >= SinglePutLimit)
            throw new ArgumentException($"{path}: a conditional create through the MinIO SDK must fit one PUT (under {SinglePutLimit} bytes)");
        using var body = new MemoryStream(bytes.ToArray());
        using var onlyIfAbsent = MinioHttpFixes.OnlyIfAbsent();
        try
        {
            await _client.PutObjectAsync(Put(path).WithStreamData(body).WithObjectSize(body.Length), ct);
            return true;
        }
        catch (PreconditionFailedException)
        {
            return false;
        }
        // A concurrent conditional PUT of the same key may be answered 409 instead of 412; the SDK has no type for it.
        catch (UnexpectedMinioException e) when (e.Response?.Code is "ConditionalRequestConflict" or "OperationAborted")
        {
            return false;
        }
    }

    private PutObjectArgs Put(string path) => new PutObjectArgs().WithBucket(_bucket).WithObject(Key(path));

    public async Task<IReadOnlyList<ObjectInfo>> ListAsync(string prefix, CancellationToken ct = default)
    {
        var result = new List<ObjectInfo>();
        var request = new ListObjectsArgs().WithBucket(_bucket).WithPrefix(Key(prefix).TrimEnd('/') + "/").WithRecursive(true);
        await foreach (var o in _client.ListObjectsEnumAsync(request, ct))
            result.Add(new ObjectInfo(_prefix.Length == 0 ? o.Key : o.Key[(_prefix.Length + 1)..], (long)o.Size,
                o.LastModifiedDateTime is { } modified ? new DateTimeOffset(modified.ToUniversalTime()) : DateTimeOffset.UtcNow));
        return result;
    }

    public Task DeleteAsync(string path, CancellationToken ct = default) =>
        _client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(_bucket).WithObject(Key(path)), ct);

    public async Task DeletePrefixAsync(string prefix, CancellationToken ct = default)
    {
        var objects = await ListAsync(prefix, ct);
        if (objects.Count == 0) return;
        var errors = await _client.RemoveObjectsAsync(
            new RemoveObjectsArgs().WithBucket(_bucket).WithObjects(objects.Select(o => Key(o.Path)).ToList()), ct);
        if (errors.Count > 0) throw new IOException($"{Uri(prefix)}: {errors.Count} objects not deleted, e.g. {errors[0].Key}: {errors[0].Message}");
    }

    public void Dispose() => _client.Dispose();
}
