using System.Diagnostics;

namespace AiPlatform.ScriptRunner;

/// <summary>How to start a script-runner child: the worker's own executable in runner mode, with the worker's settings.</summary>
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
        foreach (var (key, value) in Environment) info.Environment[key] = value;
        return info;
    }
}
