using AiPlatform.Gateway.Projects;
using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Gateway.Lake;

public static class LakeExtensions
{
    /// <summary>Each project's lake, under <c>Lake:Root</c> (a folder or s3://bucket/prefix), on <c>S3:*</c>.</summary>
    public static WebApplicationBuilder AddLake(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var options = new LakeOptions
        {
            Root = configuration["Lake:Root"] ?? throw new InvalidOperationException("Lake:Root is not set (a folder or s3://bucket/prefix)"),
            S3ServiceUrl = configuration["S3:ServiceUrl"],
            S3AccessKey = configuration["S3:AccessKey"],
            S3SecretKey = configuration["S3:SecretKey"],
            S3Region = configuration["S3:Region"] ?? "us-east-1",
        };
        builder.Services.AddProjects(options);
        return builder;
    }
}
