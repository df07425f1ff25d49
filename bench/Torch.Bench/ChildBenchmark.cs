using System.Diagnostics;
using System.Text.Json.Nodes;

/// <summary>
/// The other columns of the benchmark, each in a process of its own: PyTorch (Debian's python3-torch) and TorchSharp-cpu
/// (LibTorch 2.10; bench/Torch.Bench.TorchSharp). Neither libtorch may share this process, which holds the own engine's.
/// Each prints one JSON line per measurement.
/// </summary>
internal static class ChildBenchmark
{
    public static List<JsonNode> Python(string script, params string[] arguments) =>
        Run("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, script), .. arguments]);

    public static List<JsonNode> TorchSharp(params string[] arguments)
    {
        // bench/Torch.Bench/bin/<configuration>/net10.0/ -> bench/Torch.Bench.TorchSharp/bin/<configuration>/net10.0/linux-x64/
        var output = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var configuration = output.Parent!.Name;
        var program = Path.Combine(output.Parent.Parent!.Parent!.Parent!.FullName, "Torch.Bench.TorchSharp", "bin", configuration,
            "net10.0", "linux-x64", "AiPlatform.Torch.Bench.TorchSharp.dll");
        if (!File.Exists(program)) throw new FileNotFoundException($"{program} is missing: dotnet build -c Release bench/Torch.Bench.TorchSharp", program);
        return Run(Environment.ProcessPath!, [program, .. arguments]);
    }

    private static List<JsonNode> Run(string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', arguments)} failed: {errors.Result}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
    }
}
