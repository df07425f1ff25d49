using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Tests;

/// <summary>LanceDB for Node (the reference implementation) driven through tests/lancedb-oracle/oracle.mjs.</summary>
public static class LanceDbOracle
{
    /// <summary>LanceDB's URI for a lake's datasets folder: tables there are our datasets.</summary>
    public static string DatasetsUri(LakeOptions options) =>
        options.Root.StartsWith("s3://", StringComparison.Ordinal) ? options.Root + "/datasets" : Path.Combine(options.Root, "datasets");

    public static JsonNode Read(string datasetsUri, string table, long? version = null) =>
        Run(["read", datasetsUri, table, .. version is null ? Array.Empty<string>() : [version.Value.ToString()]]);

    public static long Write(string datasetsUri, string table, string mode, long first, int rows, bool dictionary = false) =>
        Run(["write", datasetsUri, table, mode, first.ToString(), rows.ToString(), .. dictionary ? new[] { "--dictionary" } : []])["version"]!
            .GetValue<long>();

    /// <summary>Any oracle.mjs command, e.g. <c>Run("delete", uri, "t", "i32 &lt; 10")</c>.</summary>
    public static JsonNode Run(params string[] arguments) => LanceDbProcess.Run(arguments);

    public static JsonNode State(string datasetsUri, string table) => Run("state", datasetsUri, table);
}
