using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Dataset;

/// <summary>A file a version's manifest points at, relative to the dataset's folder (<c>data/…</c> or <c>_deletions/…</c>).</summary>
public sealed record VersionFile(string Path, long SizeBytes);

/// <summary>Which files one version of a dataset needs: what archiving, restoring and deleting a version move or remove.</summary>
public static class VersionFiles
{
    public static IReadOnlyList<VersionFile> Of(Manifest manifest) =>
        manifest.Fragments
            .SelectMany(fragment => fragment.Files.Select(file => new VersionFile($"data/{file.Path}", file.SizeBytes))
                .Concat(fragment.Deletions is { } deletions ? [new VersionFile(deletions.PathFor(fragment.Id), 0)] : []))
            .DistinctBy(f => f.Path)
            .ToList();

    public static async Task<IReadOnlyList<VersionFile>> OfAsync(IObjectStore store, string path, long version, CancellationToken ct = default) =>
        Of((await LanceDataset.ReadManifestAsync(store, path, version, ct)).Manifest);
}
