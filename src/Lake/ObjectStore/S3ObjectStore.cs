using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace AiPlatform.Lake.ObjectStore;

/// <summary>
/// A bucket prefix on S3 (MinIO, Ceph radosgw, AWS). Commits rely on conditional PUT (<c>If-None-Match: *</c>), which
/// answers 412 when the key exists, so exactly one concurrent writer creates a manifest.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private const long MultipartThreshold = 16L * 1024 * 1024;

    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly S3CannedACL? _acl;

    /// <param name="socketPath">A Unix socket that leads to <paramref name="serviceUrl"/>, for a process without a network; null to connect directly.</param>
    /// <param name="grantBucketOwner">See <see cref="LakeOptions.S3GrantBucketOwner"/>.</param>
    public S3ObjectStore(string bucket, string prefix, string serviceUrl, string accessKey, string secretKey, string region, string? socketPath = null,
        bool grantBucketOwner = false)
    {
        _bucket = bucket;
        _acl = grantBucketOwner ? S3CannedACL.BucketOwnerFullControl : null;
        _prefix = prefix.Trim('/');
        _client = new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), new AmazonS3Config
        {
            ServiceURL = serviceUrl,
            ForcePathStyle = true,
            AuthenticationRegion = region,
            // radosgw rejects the SDK's default streaming trailer checksums; MinIO accepts either.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // The SDK's default (3 tries, under a second of backoff) fails a task across a server restart of a few
            // seconds; 9 tries with its capped exponential backoff wait out about ten.
            MaxErrorRetry = 8,
            HttpClientFactory = socketPath is null ? null : new UnixSocketHttpClients(socketPath),
        });
    }

    private string Key(string path) => _prefix.Length == 0 ? path : $"{_prefix}/{path}";

    public string Uri(string path) => $"s3://{_bucket}/{Key(path)}";

    public async Task<byte[]> ReadAsync(string path, CancellationToken ct = default)
    {
        using var response = await _client.GetObjectAsync(_bucket, Key(path), ct);
        using var memory = new MemoryStream();
        await response.ResponseStream.CopyToAsync(memory, ct);
        return memory.ToArray();
    }

    public async Task<Stream> OpenReadAsync(string path, CancellationToken ct = default) =>
        (await _client.GetObjectAsync(_bucket, Key(path), ct)).ResponseStream;

    /// <summary>A large range is fetched as concurrent ranged GETs: one GET runs at the pace of one connection.</summary>
    private const int PartBytes = 8 * 1024 * 1024;
    private const int ConcurrentParts = 8;

    public async Task<byte[]> ReadRangeAsync(string path, long offset, int length, CancellationToken ct = default)
    {
        if (length == 0) return [];
        var buffer = GC.AllocateUninitializedArray<byte>(length);
        await ReadRangeIntoAsync(path, offset, buffer, ct);
        return buffer;
    }

    public Task ReadRangeIntoAsync(string path, long offset, Memory<byte> destination, CancellationToken ct = default) =>
        destination.Length == 0 ? Task.CompletedTask : RangeParts.ReadAsync(offset, destination, PartBytes, ConcurrentParts, async (at, part, token) =>
        {
            using var response = await _client.GetObjectAsync(new GetObjectRequest
            {
                BucketName = _bucket, Key = Key(path), ByteRange = new ByteRange(at, at + part.Length - 1),
            }, token);
            await response.ResponseStream.ReadExactlyAsync(part, token);
        }, ct);

    public async Task<long?> SizeAsync(string path, CancellationToken ct = default)
    {
        try
        {
            var metadata = await _client.GetObjectMetadataAsync(_bucket, Key(path), ct);
            return metadata.ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task UploadAsync(string path, string localFile, CancellationToken ct = default)
    {
        if (new FileInfo(localFile).Length < MultipartThreshold)
        {
            await _client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = Key(path), FilePath = localFile, CannedACL = _acl }, ct);
        }
        else
        {
            using var transfer = new TransferUtility(_client, new TransferUtilityConfig { ConcurrentServiceRequests = 4 });
            await transfer.UploadAsync(new TransferUtilityUploadRequest
            {
                BucketName = _bucket, Key = Key(path), FilePath = localFile, PartSize = MultipartThreshold, CannedACL = _acl,
            }, ct);
        }
        File.Delete(localFile);
    }

    public async Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        using var body = new MemoryStream(bytes.ToArray());
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = Key(path), InputStream = body, CannedACL = _acl }, ct);
    }

    public async Task<bool> CreateIfAbsentAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        using var body = new MemoryStream(bytes.ToArray());
        var request = new PutObjectRequest { BucketName = _bucket, Key = Key(path), InputStream = body, CannedACL = _acl };
        request.Headers["If-None-Match"] = "*";
        try
        {
            await _client.PutObjectAsync(request, ct);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<ObjectInfo>> ListAsync(string prefix, CancellationToken ct = default)
    {
        var result = new List<ObjectInfo>();
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = Key(prefix).TrimEnd('/') + "/" };
        ListObjectsV2Response response;
        do
        {
            response = await _client.ListObjectsV2Async(request, ct);
            foreach (var o in response.S3Objects ?? [])
                result.Add(new ObjectInfo(_prefix.Length == 0 ? o.Key : o.Key[(_prefix.Length + 1)..], o.Size ?? 0,
                    o.LastModified ?? DateTime.UtcNow));
            request.ContinuationToken = response.NextContinuationToken;
        } while (response.IsTruncated == true);
        return result;
    }

    public Task DeleteAsync(string path, CancellationToken ct = default) => _client.DeleteObjectAsync(_bucket, Key(path), ct);

    public async Task DeletePrefixAsync(string prefix, CancellationToken ct = default)
    {
        var objects = await ListAsync(prefix, ct);
        foreach (var chunk in objects.Chunk(1000))
            await _client.DeleteObjectsAsync(new DeleteObjectsRequest
            {
                BucketName = _bucket, Objects = chunk.Select(o => new KeyVersion { Key = Key(o.Path) }).ToList(),
            }, ct);
    }

    public void Dispose() => _client.Dispose();
}
