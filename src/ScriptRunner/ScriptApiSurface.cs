using System.Reflection;
using AiPlatform.ScriptApi;

namespace AiPlatform.ScriptRunner;

/// <summary>The assemblies user scripts compile against: the script API and the framework pieces scripts commonly need.</summary>
internal static class ScriptApiSurface
{
    public static readonly IReadOnlyList<Assembly> Assemblies =
    [
        typeof(ScriptGlobals).Assembly,
        typeof(AiPlatform.Lake.Catalog.LakeCatalog).Assembly,
        typeof(AiPlatform.Torch.torch).Assembly,
        typeof(object).Assembly,
        typeof(Enumerable).Assembly,
        typeof(List<>).Assembly,
        typeof(System.Text.Json.JsonSerializer).Assembly,
        typeof(System.IO.Compression.GZipStream).Assembly,
        typeof(System.Runtime.InteropServices.MemoryMarshal).Assembly,
        Assembly.Load("System.Runtime"),
        Assembly.Load("netstandard"),
    ];
}
