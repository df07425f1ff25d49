using System.Reflection;
using AiPlatform.ScriptApi;

namespace AiPlatform.ScriptRunner;

/// <summary>
/// What user scripts compile against: the assemblies they may reference and the namespaces imported for them. Every
/// engine's surface holds the script API, the lake and the framework pieces scripts commonly need; the tensor engine
/// differs (<see cref="ScriptEngine"/>).
/// </summary>
public sealed record ScriptSurface(IReadOnlyList<Assembly> Assemblies, IReadOnlyList<string> Imports)
{
    private static readonly Assembly[] CommonAssemblies =
    [
        typeof(ScriptGlobals).Assembly,
        typeof(AiPlatform.Lake.Catalog.LakeCatalog).Assembly,
        // Batches convert to and from Arrow's (ToArrow, ArrowBatches.FromArrow); not imported: its RecordBatch and
        // Schema would clash with the lake's, so scripts name them Apache.Arrow.RecordBatch.
        typeof(Apache.Arrow.RecordBatch).Assembly,
        typeof(object).Assembly,
        typeof(Enumerable).Assembly,
        typeof(List<>).Assembly,
        typeof(System.Text.Json.JsonSerializer).Assembly,
        typeof(System.IO.Compression.GZipStream).Assembly,
        typeof(System.Runtime.InteropServices.MemoryMarshal).Assembly,
        Assembly.Load("System.Runtime"),
        Assembly.Load("netstandard"),
    ];

    private static readonly string[] CommonImports =
    [
        "System", "System.IO", "System.IO.Compression", "System.Linq", "System.Collections.Generic", "System.Threading",
        "System.Threading.Tasks", "System.Globalization", "System.Text", "System.Text.Json", "System.Text.Json.Nodes", "AiPlatform.ScriptApi",
        "AiPlatform.Lake.Batches", "AiPlatform.Lake.Catalog", "AiPlatform.Lake.Dataset",
    ];

    /// <summary>The platform's own tensor engine, imported the way TorchSharp scripts import theirs.</summary>
    public static ScriptSurface OwnEngine { get; } = WithEngine([typeof(AiPlatform.Torch.torch).Assembly], ["AiPlatform.Torch", "AiPlatform.Torch.torch", "AiPlatform.ScriptApi.Data"]);

    /// <summary>The common surface plus a tensor engine's assemblies and namespaces.</summary>
    public static ScriptSurface WithEngine(IEnumerable<Assembly> engine, IEnumerable<string> imports) =>
        new([.. CommonAssemblies, .. engine], [.. CommonImports, .. imports]);
}
