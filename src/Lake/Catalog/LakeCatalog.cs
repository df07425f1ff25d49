using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Catalog;

public enum EntryKind
{
    Dataset,
    Model,
}

/// <summary>What the catalog tells about a dataset or model, as the REST API and the monitoring page show it.</summary>
public sealed record LakeEntryInfo(
    string Id,
    EntryKind Kind,
    string Path,
    IReadOnlyDictionary<string, string> Schema,
    long NumRows,
    long SizeBytes,
    int Versions,
    long LatestVersion,
    int Fragments,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    ModelArtifact? Model);

/// <summary>
/// The lake's layout: <c>datasets/&lt;name&gt;.lance</c> and <c>models/&lt;name&gt;.lance</c> under the root, each a
/// Lance dataset. Names are checked so a name can never reach outside its folder.
/// </summary>
public sealed partial class LakeCatalog(IObjectStore store)
{
    public LakeCatalog(LakeOptions options) : this(ObjectStores.Open(options))
    {
    }

    public IObjectStore Store { get; } = store;

    public ModelStore Models => new(this);

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,127}\z")]
    private static partial Regex NamePattern();

    public static string ValidateName(string name) =>
        NamePattern().IsMatch(name) && !name.Contains("..")
            ? name
            : throw new ArgumentException($"'{name}' is not a valid dataset or model name: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");

    public static string DatasetPath(string name) => $"datasets/{ValidateName(name)}.lance";

    public static string ModelPath(string name) => $"models/{ValidateName(name)}.lance";

    public Task<LanceDataset> OpenDatasetAsync(string name, long? version = null, CancellationToken ct = default) =>
        LanceDataset.OpenAsync(Store, DatasetPath(name), version, ct);

    public DatasetWriter CreateDatasetWriter(string name, Schema schema, WriteMode mode = WriteMode.Create) =>
        new(Store, DatasetPath(name), schema, mode);

    public Task<IReadOnlyList<LakeEntryInfo>> ListDatasetsAsync(CancellationToken ct = default) => ListAsync(EntryKind.Dataset, ct);

    public Task<IReadOnlyList<LakeEntryInfo>> ListModelsAsync(CancellationToken ct = default) => ListAsync(EntryKind.Model, ct);

    public Task<LakeEntryInfo?> GetDatasetAsync(string name, CancellationToken ct = default) => DescribeAsync(EntryKind.Dataset, name, ct);

    public Task<LakeEntryInfo?> GetModelAsync(string name, CancellationToken ct = default) => DescribeAsync(EntryKind.Model, name, ct);

    public Task<bool> DeleteDatasetAsync(string name, CancellationToken ct = default) => DeleteAsync(DatasetPath(name), ct);

    public Task<bool> DeleteModelAsync(string name, CancellationToken ct = default) => DeleteAsync(ModelPath(name), ct);

    private async Task<IReadOnlyList<LakeEntryInfo>> ListAsync(EntryKind kind, CancellationToken ct)
    {
        var folder = kind == EntryKind.Dataset ? "datasets" : "models";
        var objects = await Store.ListAsync(folder, ct);
        var names = objects
            .Select(o => o.Path[(folder.Length + 1)..].Split('/')[0])
            .Where(n => n.EndsWith(".lance", StringComparison.Ordinal))
            .Select(n => n[..^".lance".Length])
            .Distinct().Order();
        var result = new List<LakeEntryInfo>();
        foreach (var name in names)
            if (await DescribeAsync(kind, name, objects, ct) is { } info) result.Add(info);
        return result;
    }

    private async Task<LakeEntryInfo?> DescribeAsync(EntryKind kind, string name, CancellationToken ct)
    {
        var path = kind == EntryKind.Dataset ? DatasetPath(name) : ModelPath(name);
        return await DescribeAsync(kind, name, await Store.ListAsync(path, ct), ct);
    }

    private async Task<LakeEntryInfo?> DescribeAsync(EntryKind kind, string name, IReadOnlyList<ObjectInfo> objects, CancellationToken ct)
    {
        var path = kind == EntryKind.Dataset ? DatasetPath(name) : ModelPath(name);
        var mine = objects.Where(o => o.Path.StartsWith(path + "/", StringComparison.Ordinal)).ToList();
        var manifests = mine.Where(o => o.Path.StartsWith($"{path}/{Versions.Folder}/", StringComparison.Ordinal)
                                        && Versions.Parse(System.IO.Path.GetFileName(o.Path)) is not null).ToList();
        if (manifests.Count == 0) return null;
        var newest = manifests.MaxBy(m => Versions.Parse(System.IO.Path.GetFileName(m.Path)))!;
        var key = $"{newest.Path}|{newest.LastModified:O}|{manifests.Count}|{manifests.Min(m => m.LastModified):O}";
        if (_described.TryGetValue((kind, name), out var known) && known.Key == key) return known.Copy();
        var dataset = await LanceDataset.OpenAsync(Store, path, null, ct);
        var live = dataset.Fragments.SelectMany(f => f.Files).Select(f => f.SizeBytes).Sum();
        var model = kind == EntryKind.Model ? await Models.LoadAsync(name, null, includeWeights: false, ct) : null;
        var info = new LakeEntryInfo(name, kind, Store.Uri(path), dataset.Schema.Describe(), dataset.CountRows, live, manifests.Count,
            dataset.Version, dataset.Fragments.Count, manifests.Min(m => m.LastModified), manifests.Max(m => m.LastModified), model);
        _described[(kind, name)] = new Described(key, info, model?.Metrics.ToJsonString(), model?.Params.ToJsonString(), model?.Lineage.ToJsonString());
        return info;
    }

    /// <summary>
    /// Descriptions by entry, kept while the versions they were made from are the entry's versions (same newest manifest,
    /// same count, same oldest): listing the models or datasets then costs one listing of the store, not a manifest and a
    /// model row read per entry.
    /// </summary>
    private readonly ConcurrentDictionary<(EntryKind Kind, string Name), Described> _described = new();

    /// <summary>A kept description; each caller gets its own copy of the model's JSON, which is not safe to share between threads.</summary>
    private sealed record Described(string Key, LakeEntryInfo Info, string? Metrics, string? Params, string? Lineage)
    {
        public LakeEntryInfo Copy() => Info.Model is not { } model ? Info : Info with
        {
            Model = model with { Metrics = Parse(Metrics), Params = Parse(Params), Lineage = Parse(Lineage) },
        };

        private static JsonObject Parse(string? json) => JsonNode.Parse(json!)!.AsObject();
    }

    private async Task<bool> DeleteAsync(string path, CancellationToken ct)
    {
        if ((await Store.ListAsync($"{path}/{Versions.Folder}", ct)).Count == 0) return false;
        // The manifests go first, so a half-finished delete leaves no readable dataset pointing at deleted files.
        await Store.DeletePrefixAsync($"{path}/{Versions.Folder}", ct);
        await Store.DeletePrefixAsync(path, ct);
        return true;
    }
}
