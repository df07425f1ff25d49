using AiPlatform.Lake.Metrics;

namespace AiPlatform.Lake.ObjectStore;

/// <summary>Where the lake lives: a local folder, or <c>s3://bucket/prefix</c> with the endpoint and keys.</summary>
public sealed record LakeOptions
{
    public string Root { get; init; } = Path.Combine(Environment.CurrentDirectory, ".lake");
    public string? S3ServiceUrl { get; init; }
    public string? S3AccessKey { get; init; }
    public string? S3SecretKey { get; init; }
    public string S3Region { get; init; } = "us-east-1";

    /// <summary>A Unix socket that leads to the S3 endpoint, for a process without a network of its own (a sandboxed script runner).</summary>
    public string? S3Socket { get; init; }

    /// <summary>
    /// Writes give the bucket's owner full control of each object (<c>x-amz-acl: bucket-owner-full-control</c>): for keys
    /// that are not the owner's (a project's own), whose objects the platform's keys must still read.
    /// </summary>
    public bool S3GrantBucketOwner { get; init; }
}

public static class ObjectStores
{
    /// <summary>The store for the lake's root, its traffic counted (<see cref="LakeMetrics"/>).</summary>
    public static IObjectStore Open(LakeOptions options)
    {
        if (!options.Root.StartsWith("s3://", StringComparison.Ordinal)) return new MeteredObjectStore(new LocalObjectStore(options.Root), "local");
        var rest = options.Root["s3://".Length..];
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..];
        if (options.S3ServiceUrl is null || options.S3AccessKey is null || options.S3SecretKey is null)
            throw new ArgumentException($"lake root {options.Root} is on S3 but S3 ServiceUrl, AccessKey and SecretKey are not all set");
        return new MeteredObjectStore(new S3ObjectStore(bucket, prefix, options.S3ServiceUrl, options.S3AccessKey, options.S3SecretKey, options.S3Region, options.S3Socket,
            options.S3GrantBucketOwner), "s3");
    }
}
