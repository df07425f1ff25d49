namespace AiPlatform.Fleet;

public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } = AppContext.BaseDirectory.Contains("/Debug/") ? "Debug" : "Release";

    public static string ProjectOutput(string project) =>
        Path.Combine(Root, "src", project, "bin", Configuration, "net10.0", $"AiPlatform.{project}.dll");

    /// <summary>The TorchSharp script runner workers start for <c>// engine: torchsharp</c> scripts (built for linux-x64).</summary>
    public static string TorchSharpRunner { get; } =
        Path.Combine(Root, "src", "ScriptRunner.TorchSharp", "bin", Configuration, "net10.0", "linux-x64", "AiPlatform.ScriptRunner.TorchSharp.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
