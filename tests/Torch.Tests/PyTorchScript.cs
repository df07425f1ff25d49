using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace AiPlatform.Torch.Tests;

/// <summary>Runs one of the python/ scripts with Debian's python3-torch; each prints a JSON list of numbers.</summary>
internal static class PyTorchScript
{
    public static double[] Run(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "python", script));
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors.Result);
        return JsonNode.Parse(output)!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
    }
}
