using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Catalog;

/// <summary>
/// Where archived files rest: another bucket or folder, or a prefix of the lake's own store. A file keeps its path
/// below the prefix (<c>cold/datasets/x.lance/data/…</c>), so the files of every archived version of a dataset share
/// one place and a file two archived versions need is stored once.
/// </summary>
public sealed class ColdStorage(IObjectStore store, string prefix)
{
    public IObjectStore Store { get; } = store;

    public string Prefix { get; } = prefix.Trim('/');

    public string PathOf(string datasetPath, string file) => Prefix.Length == 0 ? $"{datasetPath}/{file}" : $"{Prefix}/{datasetPath}/{file}";

    public string Uri(string datasetPath) => Store.Uri(PathOf(datasetPath, "")).TrimEnd('/');
}
