using AiPlatform.Lake.Dataset;

namespace AiPlatform.Lake.Catalog;

/// <summary>
/// Files no version of a dataset or model references, in place or in cold storage: what a crashed writer or an
/// interrupted delete leaves behind. Only files older than a safety age go, so a write in flight (its data files are
/// uploaded before the manifest that references them) is never touched.
/// </summary>
public static class OrphanFiles
{
    private static readonly string[] Folders = ["data", "_deletions"];

    public static async Task<IReadOnlyList<string>> RemoveAsync(LakeCatalog lake, ColdStorage cold, EntryKind kind, string name, DateTimeOffset olderThan,
        CancellationToken ct)
    {
        var path = LakeCatalog.PathOf(kind, name);
        var referenced = new HashSet<string>();
        foreach (var version in await lake.ListVersionsAsync(kind, name, ct))
            referenced.UnionWith((await VersionFiles.OfAsync(lake.Store, path, version, ct)).Select(f => f.Path));
        var removed = new List<string>();
        foreach (var (store, root) in new[] { (lake.Store, path), (cold.Store, cold.PathOf(path, "").TrimEnd('/')) })
        foreach (var folder in Folders)
        foreach (var file in await store.ListAsync($"{root}/{folder}", ct))
        {
            if (referenced.Contains(file.Path[(root.Length + 1)..]) || file.LastModified >= olderThan) continue;
            await store.DeleteAsync(file.Path, ct);
            removed.Add(store.Uri(file.Path));
        }
        return removed;
    }
}
