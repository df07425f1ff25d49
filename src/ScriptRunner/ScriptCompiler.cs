using System.Collections.Concurrent;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using AiPlatform.ScriptApi;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace AiPlatform.ScriptRunner;

public sealed class ScriptCompilationException(string message) : Exception(message);

/// <summary>
/// Compiles a script once per content hash. Compiled assemblies are kept on disk so that every runner process of this
/// user shares them, in a private folder (<see cref="PrivateDirectory"/>) because whatever is in it gets loaded and run;
/// and in memory because a loaded assembly can never be unloaded from the default context anyway. The source is the
/// snapshot taken at submit time: <c>#load</c> and <c>#r</c> cannot reach files at compile time.
/// </summary>
public sealed class ScriptCompiler
{
    // Appended after the user's code: the script's contract is a Run method, the runner supplies the arguments.
    private const string Invocation = "\n#line hidden\nreturn (object?)Run(Input, Output, Params);\n";

    private readonly string _cacheDirectory;
    private readonly ScriptSurface _surface;
    private readonly ConcurrentDictionary<string, Func<object[], Task<object?>>> _loaded = new();

    /// <param name="surface">What scripts compile against. Its assemblies are part of the cache key, so a rebuilt platform
    /// never runs stale compiled scripts, and engines sharing a cache folder never run each other's.</param>
    public ScriptCompiler(string cacheDirectory, ScriptSurface? surface = null)
    {
        _cacheDirectory = cacheDirectory;
        _surface = surface ?? ScriptSurface.OwnEngine;
        PrivateDirectory.Ensure(cacheDirectory);
    }

    public Func<ScriptGlobals, Task<object?>> Load(string scriptPath, string source)
    {
        var key = CacheKey(source);
        var factory = _loaded.GetOrAdd(key, k => LoadFromDiskOrCompile(k, scriptPath, source));
        return globals => factory([globals, null!]);
    }

    private Func<object[], Task<object?>> LoadFromDiskOrCompile(string key, string scriptPath, string source)
    {
        var path = Path.Combine(_cacheDirectory, key + ".dll");
        byte[] image;
        try
        {
            image = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            image = Compile(scriptPath, source, path);
        }
        var assembly = Assembly.Load(image);
        var factory = assembly.GetTypes()
            .Select(t => t.GetMethod("<Factory>", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .First(m => m is not null)!;
        return factory.CreateDelegate<Func<object[], Task<object?>>>();
    }

    private byte[] Compile(string scriptPath, string source, string outputPath)
    {
        var options = ScriptOptions.Default
            .WithFilePath(scriptPath)
            .WithSourceResolver(NoFileReferences.Sources)
            .WithMetadataResolver(NoFileReferences.Assemblies)
            .WithFileEncoding(Encoding.UTF8)
            .WithReferences(_surface.Assemblies)
            .WithImports(_surface.Imports)
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithEmitDebugInformation(false);
        var script = CSharpScript.Create<object?>(source + Invocation, options, typeof(ScriptGlobals));
        var compilation = script.GetCompilation();
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10).ToList();
        if (!emitted.Success || errors.Count > 0)
            throw new ScriptCompilationException($"script {scriptPath} does not compile:\n" + string.Join('\n', errors.Select(e => e.ToString())));

        // Write then rename, so a concurrent runner never loads a half-written assembly.
        var temporary = outputPath + "." + Environment.ProcessId + ".tmp";
        var bytes = image.ToArray();
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, outputPath, overwrite: true);
        return bytes;
    }

    private string CacheKey(string source)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(source));
        foreach (var assembly in _surface.Assemblies) sha.AppendData(assembly.ManifestModule.ModuleVersionId.ToByteArray());
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
