using AiPlatform.Fleet;
using AiPlatform.Lake.ObjectStore;
using Xunit;

namespace AiPlatform.Lake.Tests;

/// <summary>A fresh, empty lake per test: a temp folder, or a fresh prefix in the local S3 bucket.</summary>
public static class Stores
{
    /// <summary>The store kinds every oracle test runs on.</summary>
    public static TheoryData<string> Kinds => new() { "local", "s3" };

    public static IObjectStore Local() => new LocalObjectStore(LocalRoot());

    private static string LocalRoot() => Path.Combine(Path.GetTempPath(), "aiplatform-lake-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Lake settings for a fresh, empty lake of the kind.</summary>
    public static LakeOptions Options(string kind) => kind == "s3" ? S3Options() : new LakeOptions { Root = LocalRoot() };

    public static LakeOptions S3Options() => new()
    {
        Root = $"s3://{ServicesEnvironment.Get("S3__Bucket")}/lake-tests/{Guid.NewGuid():N}",
        S3ServiceUrl = ServicesEnvironment.Get("S3__ServiceUrl"),
        S3AccessKey = ServicesEnvironment.Get("S3__AccessKey"),
        S3SecretKey = ServicesEnvironment.Get("S3__SecretKey"),
    };

    public static IObjectStore S3() => ObjectStores.Open(S3Options());

    public static IObjectStore Open(string kind) => kind == "s3" ? S3() : Local();
}
