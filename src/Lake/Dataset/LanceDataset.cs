using System.Runtime.CompilerServices;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Format;
using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Dataset;

/// <summary>One version of a Lance dataset, opened for reading. Older versions stay readable (time travel).</summary>
public sealed class LanceDataset
{
    private readonly IObjectStore _store;
    private readonly Dictionary<string, Task<LanceFileReader>> _readers = new();

    private LanceDataset(IObjectStore store, string path, Manifest manifest)
    {
        _store = store;
        Path = path;
        Manifest = manifest;
    }

    /// <summary>The dataset's folder relative to the store root, e.g. <c>datasets/mnist.lance</c>.</summary>
    public string Path { get; }
    public Manifest Manifest { get; }
    public long Version => Manifest.Version;
    public Schema Schema => Manifest.Schema;
    public long CountRows => Manifest.Rows;
    public IReadOnlyList<Fragment> Fragments => Manifest.Fragments;

    public static async Task<IReadOnlyList<long>> ListVersionsAsync(IObjectStore store, string path, CancellationToken ct = default)
    {
        var files = await store.ListAsync($"{path}/{Versions.Folder}", ct);
        return files.Select(f => Versions.Parse(System.IO.Path.GetFileName(f.Path))).OfType<long>().Order().ToList();
    }

    public static async Task<LanceDataset> OpenAsync(IObjectStore store, string path, long? version = null, CancellationToken ct = default)
    {
        var versions = await ListVersionsAsync(store, path, ct);
        if (versions.Count == 0) throw new DatasetNotFoundException($"no dataset at {store.Uri(path)}");
        var wanted = version ?? versions[^1];
        if (!versions.Contains(wanted))
            throw new DatasetNotFoundException($"dataset {store.Uri(path)} has no version {wanted}; versions are {string.Join(", ", versions)}");
        return new LanceDataset(store, path, await ReadManifestAsync(store, path, wanted, ct));
    }

    internal static async Task<Manifest> ReadManifestAsync(IObjectStore store, string path, long version, CancellationToken ct)
    {
        foreach (var name in new[] { Versions.ManifestName(version), $"{version}.manifest" })
        {
            if (await store.SizeAsync($"{path}/{Versions.Folder}/{name}", ct) is null) continue;
            return Manifest.Parse(await store.ReadAsync($"{path}/{Versions.Folder}/{name}", ct));
        }
        throw new DatasetNotFoundException($"manifest of version {version} of {store.Uri(path)} is missing");
    }

    /// <summary>Streams rows [offset, offset + limit) in batches of <paramref name="batchSize"/>, reading only the columns named.</summary>
    public async IAsyncEnumerable<RecordBatch> ReadBatchesAsync(int batchSize, IReadOnlyList<string>? columns = null, long offset = 0,
        long? limit = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), "batch size must be positive");
        var end = Math.Min(CountRows, limit is null ? CountRows : offset + limit.Value);
        for (var start = offset; start < end; start += batchSize)
            yield return await ReadAsync(columns, start, Math.Min(batchSize, end - start), ct);
    }

    /// <summary>Rows [offset, offset + limit) as one batch; only the pages holding them are fetched.</summary>
    public async Task<RecordBatch> ReadAsync(IReadOnlyList<string>? columns = null, long offset = 0, long? limit = null, CancellationToken ct = default)
    {
        var indices = (columns ?? Schema.Fields.Select(f => f.Name).ToList()).Select(Schema.IndexOf).ToList();
        var schema = new Schema(indices.Select(i => Schema.Fields[i]).ToList());
        var count = Math.Max(0, Math.Min(limit ?? CountRows, CountRows - offset));
        var parts = indices.Select(_ => new List<Column>()).ToList();
        long fragmentStart = 0;
        foreach (var fragment in Fragments)
        {
            var from = Math.Max(offset, fragmentStart);
            var to = Math.Min(offset + count, fragmentStart + fragment.PhysicalRows);
            if (from < to)
            {
                var loaded = await Task.WhenAll(indices.Select(i => ReadFragmentColumnAsync(fragment, i, from - fragmentStart, (int)(to - from), ct)));
                for (var c = 0; c < loaded.Length; c++) parts[c].Add(loaded[c]);
            }
            fragmentStart += fragment.PhysicalRows;
        }
        var joined = indices.Select((index, c) => parts[c].Count == 0
            ? ColumnConcat.Concat(Schema.Fields[index].Type, [Empty(Schema.Fields[index].Type)])
            : ColumnConcat.Concat(Schema.Fields[index].Type, parts[c])).ToList();
        return new RecordBatch(schema, joined);
    }

    private async Task<Column> ReadFragmentColumnAsync(Fragment fragment, int fieldIndex, long start, int count, CancellationToken ct)
    {
        foreach (var file in fragment.Files)
        {
            var column = Array.IndexOf(file.FieldIds, fieldIndex);
            if (column < 0) continue;
            var reader = await Reader(file, ct);
            return await reader.ReadColumnAsync(column, Schema.Fields[fieldIndex].Type, start, count, ct);
        }
        throw new InvalidDataException($"fragment {fragment.Id} has no data file for column '{Schema.Fields[fieldIndex].Name}'");
    }

    private Task<LanceFileReader> Reader(DataFile file, CancellationToken ct)
    {
        lock (_readers)
        {
            if (!_readers.TryGetValue(file.Path, out var reader))
                _readers[file.Path] = reader = LanceFileReader.OpenAsync(_store, $"{Path}/data/{file.Path}", file.SizeBytes > 0 ? file.SizeBytes : null, ct);
            return reader;
        }
    }

    private static Column Empty(LanceType type) => type.Kind switch
    {
        TypeKind.Int32 => new Int32Column([]),
        TypeKind.Int64 => new Int64Column([]),
        TypeKind.TimestampMicros => new TimestampColumn([]),
        TypeKind.Float32 => new Float32Column([]),
        TypeKind.Float64 => new Float64Column([]),
        TypeKind.Bool => new BoolColumn([]),
        TypeKind.Utf8 => new StringColumn([], []),
        TypeKind.Binary => new BinaryColumn([], []),
        TypeKind.FixedSizeListFloat32 => new FixedSizeListFloat32Column(type.Dimension, []),
        _ => throw new NotSupportedException(type.ToString()),
    };
}
