using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace AiPlatform.ScriptRunner;

/// <summary>
/// Resolvers that resolve nothing: a <c>#load</c> or <c>#r</c> that reaches the compiler (the gateway inlines loads
/// and refuses references at submit time) is a compile error, never a read of a file on the worker.
/// </summary>
internal static class NoFileReferences
{
    public static readonly SourceReferenceResolver Sources = new NoSources();
    public static readonly MetadataReferenceResolver Assemblies = new NoAssemblies();

    private sealed class NoSources : SourceReferenceResolver
    {
        public override string? NormalizePath(string path, string? baseFilePath) => path;
        public override string? ResolveReference(string path, string? baseFilePath) => null;
        public override Stream OpenRead(string resolvedPath) => throw new FileNotFoundException("scripts cannot load files", resolvedPath);
        public override SourceText ReadText(string resolvedPath) => throw new FileNotFoundException("scripts cannot load files", resolvedPath);
        public override bool Equals(object? other) => other is NoSources;
        public override int GetHashCode() => 1;
    }

    /// <summary>Refuses what <c>#r</c> names, but still finds the framework assemblies the script API's types depend on.</summary>
    private sealed class NoAssemblies : MetadataReferenceResolver
    {
        private static readonly MetadataReferenceResolver Framework = Microsoft.CodeAnalysis.Scripting.ScriptOptions.Default.MetadataResolver;

        public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath,
            MetadataReferenceProperties properties) => [];

        public override bool ResolveMissingAssemblies => Framework.ResolveMissingAssemblies;

        public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) =>
            Framework.ResolveMissingAssembly(definition, referenceIdentity);

        public override bool Equals(object? other) => other is NoAssemblies;
        public override int GetHashCode() => 1;
    }
}
