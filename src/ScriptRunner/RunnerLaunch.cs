using System.Diagnostics;

namespace AiPlatform.ScriptRunner;

/// <summary>
/// How to start a script-runner child: the worker's own executable in runner mode, with an allow-listed environment:
/// what the runtime needs to start plus the settings given here (lake, object store, engine). Nothing else of the
/// worker's environment, so a script never sees the broker's or the database's credentials.
/// </summary>
public sealed record RunnerLaunch(string FileName, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment)
{
    public const string RunnerModeFlag = "--script-runner";

    /// <summary>Re-launches the current program (apphost or <c>dotnet app.dll</c>) with the runner flag.</summary>
    public static RunnerLaunch ForCurrentProcess(IReadOnlyDictionary<string, string> environment)
    {
        var processPath = System.Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell the current executable");
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("no entry assembly");
        var viaHost = Path.GetFileNameWithoutExtension(processPath) == "dotnet";
        return viaHost
            ? new RunnerLaunch(processPath, [entry, RunnerModeFlag], environment)
            : new RunnerLaunch(processPath, [RunnerModeFlag], environment);
    }

    /// <summary>
    /// A runner program of its own (the TorchSharp runner): its apphost, or its <c>.dll</c> run by the same .NET host as
    /// this process.
    /// </summary>
    public static RunnerLaunch ForProgram(string program, IReadOnlyDictionary<string, string> environment)
    {
        if (!File.Exists(program)) throw new FileNotFoundException($"the runner program {program} does not exist", program);
        if (!program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) return new RunnerLaunch(program, [RunnerModeFlag], environment);
        var processPath = System.Environment.ProcessPath;
        var host = processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? processPath : "dotnet";
        return new RunnerLaunch(host, [program, RunnerModeFlag], environment);
    }

    internal ProcessStartInfo ToStartInfo()
    {
        var info = new ProcessStartInfo(FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in Arguments) info.ArgumentList.Add(argument);
        info.Environment.Clear();
        foreach (var (key, value) in InheritedEnvironment()) info.Environment[key] = value;
        foreach (var (key, value) in Environment) info.Environment[key] = value;
        return info;
    }

    private static readonly string[] InheritedNames =
    [
        "PATH", "HOME", "USER", "LANG", "LANGUAGE", "TZ", "TMPDIR", "LD_LIBRARY_PATH",
        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
    ];

    // The .NET host's own settings (DOTNET_ROOT to find the runtime, GC and diagnostics knobs) and the locale.
    private static readonly string[] InheritedPrefixes = ["DOTNET_", "LC_"];

    internal static IEnumerable<KeyValuePair<string, string>> InheritedEnvironment() =>
        System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => new KeyValuePair<string, string>((string)e.Key, (string?)e.Value ?? ""))
            .Where(e => InheritedNames.Contains(e.Key) || InheritedPrefixes.Any(p => e.Key.StartsWith(p, StringComparison.Ordinal)));
}
