// engine: torchsharp
// Reports which libtorch this runner process has mapped, once TorchSharp has loaded its own.
object Run(string input, string output, ScriptParams p)
{
    using var loaded = ones(2, 2);
    var libraries = File.ReadLines("/proc/self/maps")
        .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[5]).StartsWith("libtorch", StringComparison.Ordinal))
        .Select(fields => fields[5]).Distinct().ToList();
    return new { version = __version__, libraries };
}
