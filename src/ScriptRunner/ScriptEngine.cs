namespace AiPlatform.ScriptRunner;

/// <summary>The tensor engine a script is written against; each runs in runner processes of its own (see <see cref="ScriptEngines"/>).</summary>
public enum ScriptEngine
{
    /// <summary>The platform's own engine (<c>AiPlatform.Torch</c>, on Debian's libtorch): the default.</summary>
    Own,

    /// <summary>TorchSharp-cpu (LibTorch 2.10). Two libtorch versions cannot share a process, so these scripts get runners of their own.</summary>
    TorchSharp,
}

public static class ScriptEngines
{
    private const string Directive = "// engine:";

    /// <summary>
    /// The engine a script selects with a <c>// engine: torchsharp</c> line among the comments it starts with; the own
    /// engine when it has none. A comment, so the script stays plain C# that any editor takes.
    /// </summary>
    /// <exception cref="ArgumentException">The directive names an engine that does not exist.</exception>
    public static ScriptEngine Of(string source)
    {
        using var lines = new StringReader(source);
        while (lines.ReadLine() is { } line)
        {
            var text = line.Trim();
            if (text.Length == 0) continue;
            if (!text.StartsWith("//", StringComparison.Ordinal)) break;
            if (!text.StartsWith(Directive, StringComparison.OrdinalIgnoreCase)) continue;
            var name = text[Directive.Length..].Trim();
            return name.ToLowerInvariant() switch
            {
                "own" => ScriptEngine.Own,
                "torchsharp" => ScriptEngine.TorchSharp,
                _ => throw new ArgumentException($"the script asks for engine '{name}', which does not exist: the engines are own (the default) and torchsharp"),
            };
        }
        return ScriptEngine.Own;
    }
}
