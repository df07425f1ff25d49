using System.Security.Cryptography;
using System.Text;
using AiPlatform.Lake.Dataset;

namespace AiPlatform.Lake.Catalog;

/// <summary>What the registry needs from the lake: which versions are committed, and a hash of what each one holds.</summary>
public sealed partial class LakeCatalog
{
    public static string PathOf(EntryKind kind, string name) => kind == EntryKind.Dataset ? DatasetPath(name) : ModelPath(name);

    /// <summary>Names of the datasets or models that have at least one committed version.</summary>
    public async Task<IReadOnlyList<string>> ListNamesAsync(EntryKind kind, CancellationToken ct = default)
    {
        var folder = kind == EntryKind.Dataset ? "datasets" : "models";
        var objects = await Store.ListAsync(folder, ct);
        return objects
            .Select(o => o.Path[(folder.Length + 1)..].Split('/'))
            .Where(parts => parts.Length >= 3 && parts[1] == Versions.Folder && Versions.Parse(parts[^1]) is not null
                            && parts[0].EndsWith(".lance", StringComparison.Ordinal))
            .Select(parts => parts[0][..^".lance".Length])
            .Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A model's versions as the Lance dataset holding them, one row per saved version.</summary>
    public Task<LanceDataset> OpenModelDatasetAsync(string name, CancellationToken ct = default) =>
        LanceDataset.OpenAsync(Store, ModelPath(name), null, ct);

    /// <summary>The committed Lance versions, oldest first; empty when nothing was ever committed.</summary>
    public Task<IReadOnlyList<long>> ListVersionsAsync(EntryKind kind, string name, CancellationToken ct = default) =>
        LanceDataset.ListVersionsAsync(Store, PathOf(kind, name), ct);

    /// <summary>
    /// sha256 of what a version holds. A model: its weights. A dataset: its schema and, fragment by fragment, each data
    /// file's own sha256, so two versions with the same rows in the same files hash alike whatever their timestamps.
    /// </summary>
    public async Task<string> ContentHashAsync(EntryKind kind, string name, long version, CancellationToken ct = default)
    {
        if (kind == EntryKind.Model)
            return Convert.ToHexStringLower(SHA256.HashData((await Models.LoadAsync(name, version, ct)).Weights));

        var path = DatasetPath(name);
        var (manifest, _) = await LanceDataset.ReadManifestAsync(Store, path, version, ct);
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        whole.AppendData(Encoding.UTF8.GetBytes(string.Join(";", manifest.Schema.Describe().Select(f => $"{f.Key}:{f.Value}")) + "\n"));
        foreach (var fragment in manifest.Fragments)
        foreach (var file in fragment.Files)
        {
            await using var stream = await Store.OpenReadAsync($"{path}/data/{file.Path}", ct);
            var fileHash = await SHA256.HashDataAsync(stream, ct);
            whole.AppendData(Encoding.UTF8.GetBytes($"{fragment.PhysicalRows}:{string.Join(",", file.FieldIds)}:{Convert.ToHexStringLower(fileHash)}\n"));
        }
        return Convert.ToHexStringLower(whole.GetHashAndReset());
    }
}
