using AiPlatform.Fleet;
using AiPlatform.Lake.ObjectStore;
using Xunit;

namespace AiPlatform.Lake.Tests;

/// <summary>A fresh, empty lake per test: a temp folder, or a fresh prefix in the local S3 bucket through either S3 client.</summary>
public static class Stores
{
    /// <summary>The store kinds every oracle test runs on: <c>s3</c> is AWSSDK.S3, <c>s3-minio</c> the MinIO SDK.</summary>
    public static TheoryData<string> Kinds => new() { "local", "s3", "s3-minio" };

    public static IObjectStore Local() => new LocalObjectStore(LocalRoot());

    private static string LocalRoot() => Path.Combine(Path.GetTempPath(), "aiplatform-lake-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Lake settings for a fresh, empty lake of the kind.</summary>
    public static LakeOptions Options(string kind) => kind switch
    {
        "s3" => S3Options("aws"),
        "s3-minio" => S3Options("minio"),
        _ => new LakeOptions { Root = LocalRoot() },
    };

    private static LakeOptions S3Options(string client) => new()
    {
        Root = $"s3://{ServicesEnvironment.Get("S3__Bucket")}/lake-tests/{Guid.NewGuid():N}",
        S3ServiceUrl = ServicesEnvironment.Get("S3__ServiceUrl"),
        S3AccessKey = ServicesEnvironment.Get("S3__AccessKey"),
        S3SecretKey = ServicesEnvironment.Get("S3__SecretKey"),
        S3Client = client,
    };

    public static IObjectStore Open(string kind) => kind == "local" ? Local() : ObjectStores.Open(Options(kind));
}
