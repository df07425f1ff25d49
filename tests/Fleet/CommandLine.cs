using System.Diagnostics;

namespace AiPlatform.Fleet;

/// <summary>Runs a command-line tool to completion and hands back its exit code and everything it printed.</summary>
public static class CommandLine
{
    /// <param name="timeout">How long the tool may run; past it the tool and its children are killed and the result
    /// says so (exit code -1).</param>
    public static (int ExitCode, string Output) Run(string program, string workingDirectory, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) info.Environment.Remove(key);
            else info.Environment[key] = value;
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? Timeout.InfiniteTimeSpan))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"{program} killed after {timeout!.Value.TotalSeconds} s\n{output.Result}{errors.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result + errors.Result);
    }
}
