using System.Diagnostics;
using System.Text.Json.Nodes;

namespace AiPlatform.Fleet;

/// <summary>
/// Runs tests/lancedb-oracle/oracle.mjs (LanceDB for Node, the reference Lance implementation) with the local S3
/// settings, and returns the JSON of its last output line. Shared by the Lake tests and the Lake benchmark.
/// </summary>
public static class LanceDbProcess
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "tests", "lancedb-oracle", "oracle.mjs");

    public static JsonNode Run(params string[] arguments)
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
