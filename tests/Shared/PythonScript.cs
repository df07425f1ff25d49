using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace AiPlatform.Tests.Shared;

/// <summary>
/// Runs one of a test project's python/ scripts (copied beside its assembly) with Debian's python3 and python3-torch,
/// and reads the JSON it prints. Compiled into each test project that compares with PyTorch.
/// </summary>
internal static class PythonScript
{
    public static JsonNode Run(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "python", script));
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{script} exited with {process.ExitCode}: {errors.Result}");
        return JsonNode.Parse(output)!;
    }
}
