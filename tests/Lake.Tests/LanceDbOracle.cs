using System.Diagnostics;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Tests;

/// <summary>LanceDB for Node (the reference implementation) driven through tests/lancedb-oracle/oracle.mjs.</summary>
public static class LanceDbOracle
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "tests", "lancedb-oracle", "oracle.mjs");

    /// <summary>LanceDB's URI for a lake's datasets folder: tables there are our datasets.</summary>
    public static string DatasetsUri(LakeOptions options) =>
        options.Root.StartsWith("s3://", StringComparison.Ordinal) ? options.Root + "/datasets" : Path.Combine(options.Root, "datasets");

    public static JsonNode Read(string datasetsUri, string table, long? version = null) =>
        Run(["read", datasetsUri, table, .. version is null ? Array.Empty<string>() : [version.Value.ToString()]]);

    public static long Write(string datasetsUri, string table, string mode, long first, int rows, bool dictionary = false) =>
        Run(["write", datasetsUri, table, mode, first.ToString(), rows.ToString(), .. dictionary ? new[] { "--dictionary" } : []])["version"]!
            .GetValue<long>();

    private static JsonNode Run(string[] arguments)
    {
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Script);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["AIP_S3_ENDPOINT"] = ServicesEnvironment.Get("S3__ServiceUrl");
        info.Environment["AIP_S3_ACCESS_KEY"] = ServicesEnvironment.Get("S3__AccessKey");
        info.Environment["AIP_S3_SECRET_KEY"] = ServicesEnvironment.Get("S3__SecretKey");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"LanceDB oracle failed ({string.Join(' ', arguments)}): {errors.Result}");
        return JsonNode.Parse(output.Result.Trim().Split('\n')[^1])!;
    }
}
