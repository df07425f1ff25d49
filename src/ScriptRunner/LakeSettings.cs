using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.ScriptRunner;

/// <summary>The lake a runner process works on, from the settings its worker passed down (Lake__Root, S3__*; S3__Socket in a sandbox without a network).</summary>
internal static class LakeSettings
{
    public static LakeOptions FromEnvironment()
    {
        var root = Environment.GetEnvironmentVariable("Lake__Root");
        if (string.IsNullOrWhiteSpace(root))
            throw new InvalidOperationException("the lake is not configured on this worker: set Lake:Root (a folder or s3://bucket/prefix)");
        return ForRoot(root);
    }

    /// <summary>Any folder or s3:// location, reached with this worker's S3 endpoint and keys.</summary>
    public static LakeOptions ForRoot(string root) =>
        new()
        {
            Root = root,
            S3ServiceUrl = Environment.GetEnvironmentVariable("S3__ServiceUrl"),
            S3AccessKey = Environment.GetEnvironmentVariable("S3__AccessKey"),
            S3SecretKey = Environment.GetEnvironmentVariable("S3__SecretKey"),
            S3Region = Environment.GetEnvironmentVariable("S3__Region") ?? "us-east-1",
            S3Socket = Environment.GetEnvironmentVariable("S3__Socket"),
            S3GrantBucketOwner = Environment.GetEnvironmentVariable("S3__GrantBucketOwner") == "true",
        };
}
