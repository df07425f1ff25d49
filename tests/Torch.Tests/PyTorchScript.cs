using AiPlatform.Tests.Shared;

namespace AiPlatform.Torch.Tests;

/// <summary>Runs one of the python/ scripts with Debian's python3-torch; each prints a JSON list of numbers.</summary>
internal static class PyTorchScript
{
    public static double[] Run(string script, params string[] arguments) =>
        PythonScript.Run(script, arguments).AsArray().Select(v => v!.GetValue<double>()).ToArray();
}
