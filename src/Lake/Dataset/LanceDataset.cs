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
    private readonly Dictionary<long, Task<int[]>> _keptRows = new();

    private LanceDataset(IObjectStore store, string path, Manifest manifest, string manifestUri)
    {
        _store = store;
        Path = path;
        Manifest = manifest;
        _manifestUri = manifestUri;
    }

    private readonly string _manifestUri;

    /// <summary>The dataset's folder relative to the store root, e.g. <c>datasets/mnist.lance</c>.</summary>
    public string Path { get; }
    public Manifest Manifest { get; }
    public long Version => Manifest.Version;
    public Schema Schema => Manifest.Schema;

    /// <summary>Rows a reader sees: deleted rows are not counted.</summary>
    public long CountRows => Manifest.Rows;
    public IReadOnlyList<Fragment> Fragments => Manifest.Fragments;

    public static async Task<IReadOnlyList<long>> ListVersionsAsync(IObjectStore store, string path, CancellationToken ct = default) =>
        VersionsIn(await store.ListAsync($"{path}/{Versions.Folder}", ct));

    private static List<long> VersionsIn(IReadOnlyList<ObjectInfo> files) =>
        files.Select(f => Versions.Parse(System.IO.Path.GetFileName(f.Path))).OfType<long>().Order().ToList();

    /// <summary>
    /// Opens a version. A table holding data files this library cannot decode (file format 2.1/2.2, legacy v1) is
    /// refused here, with the file, column, version and encoding named.
    /// </summary>
    public static async Task<LanceDataset> OpenAsync(IObjectStore store, string path, long? version = null, CancellationToken ct = default)
    {
        var listed = await store.ListAsync($"{path}/{Versions.Folder}", ct);
        var versions = VersionsIn(listed);
        if (versions.Count == 0) throw new DatasetNotFoundException($"no dataset at {store.Uri(path)}");
        var wanted = version ?? versions[^1];
        if (!versions.Contains(wanted))
            throw new DatasetNotFoundException($"dataset {store.Uri(path)} has no version {wanted}; versions are {string.Join(", ", versions)}");
        if (listed.Any(f => Versions.ParseArchiveRecord(System.IO.Path.GetFileName(f.Path)) == wanted))
            throw new VersionArchivedException(store.Uri(path), path, wanted);
        var (manifest, manifestUri) = await ReadManifestAsync(store, path, wanted, ct);
        var dataset = new LanceDataset(store, path, manifest, manifestUri);
        await dataset.NamingManifestAsync(async () =>
        {
            await dataset.RefuseUnreadableFilesAsync(ct);
            return true;
        });
        return dataset;
    }

    /// <summary>
    /// A file format this library cannot read is refused when the dataset opens; the encodings of 2.0-2.2 files are
    /// checked as each file opens, before any of its values is decoded.
    /// </summary>
    private Task RefuseUnreadableFilesAsync(CancellationToken ct)
    {
        var foreign = Fragments.SelectMany(f => f.Files).FirstOrDefault(f => !LanceFileReader.Readable(f.FileVersion));
        if (foreign is null) return Task.CompletedTask;
        throw new NotSupportedException(
            $"{_store.Uri($"{Path}/data/{foreign.Path}")} is Lance file format {foreign.FileVersion}; this reader supports file formats {LanceFileReader.ReadableVersions}");
    }

    internal static async Task<(Manifest Manifest, string Uri)> ReadManifestAsync(IObjectStore store, string path, long version, CancellationToken ct)
    {
        foreach (var name in new[] { Versions.ManifestName(version), $"{version}.manifest" })
        {
            var file = $"{path}/{Versions.Folder}/{name}";
            if (await store.SizeAsync(file, ct) is null) continue;
            var manifest = Manifest.Parse(await store.ReadAsync(file, ct), store.Uri(file));
            if (manifest.Version != version) throw new InvalidDataException($"{store.Uri(file)} holds version {manifest.Version}, not {version}");
            return (manifest, store.Uri(file));
        }
        throw new DatasetNotFoundException($"manifest of version {version} of {store.Uri(path)} is missing");
    }

    /// <summary>Streams rows [offset, offset + limit) in batches of <paramref name="batchSize"/>, reading only the columns named.</summary>
    /// <remarks>Each page is fetched and decoded once per scan, whatever the batch size.</remarks>
    public async IAsyncEnumerable<RecordBatch> ReadBatchesAsync(int batchSize, IReadOnlyList<string>? columns = null, long offset = 0,
        long? limit = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), "batch size must be positive");
        var end = Math.Min(CountRows, limit is null ? CountRows : offset + limit.Value);
        var decodedPages = new DecodedPages();
        for (var start = offset; start < end; start += batchSize)
        {
            var first = start;
            yield return await NamingManifestAsync(() => ReadAsync(columns, first, Math.Min(batchSize, end - first), decodedPages, ct));
        }
    }

    /// <summary>
    /// Consecutive row ranges covering the dataset, cut wherever a page of one of the columns starts: reading whole
    /// ranges fetches and decodes each page once, where ranges of any other size re-read the pages they straddle.
    /// A fragment with deleted rows is one range, as its visible rows do not line up with its pages.
    /// </summary>
    public Task<IReadOnlyList<(long Offset, long Rows)>> PageRangesAsync(IReadOnlyList<string> columns, CancellationToken ct = default) =>
        NamingManifestAsync(async () =>
        {
            var fields = columns.Select(Schema.IndexOf).ToList();
            var ranges = new List<(long Offset, long Rows)>();
            long fragmentStart = 0;
            foreach (var fragment in Fragments)
            {
                var cuts = new SortedSet<long> { 0, fragment.Rows };
                if (fragment.Deletions is null)
                    foreach (var field in fields)
                    foreach (var file in fragment.Files.Where(f => f.ColumnOf(field) >= 0).Take(1))
                        cuts.UnionWith((await Reader(file, ct)).PageStarts(file.ColumnOf(field)).Where(start => start < fragment.Rows));
                var points = cuts.ToList();
                for (var i = 1; i < points.Count; i++) ranges.Add((fragmentStart + points[i - 1], points[i] - points[i - 1]));
                fragmentStart += fragment.Rows;
            }
            return (IReadOnlyList<(long Offset, long Rows)>)ranges;
        });

    /// <summary>Rows [offset, offset + limit) as one batch; only the pages holding them are fetched.</summary>
    public Task<RecordBatch> ReadAsync(IReadOnlyList<string>? columns = null, long offset = 0, long? limit = null, CancellationToken ct = default) =>
        NamingManifestAsync(() => ReadAsync(columns, offset, limit, null, ct));

    /// <summary>
    /// Adds the manifest to errors about the files it points at: a damaged manifest shows up as a missing or mismatched
    /// data file, and the reader should see both names.
    /// </summary>
    private async Task<T> NamingManifestAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException or EndOfStreamException
                                      && !e.Message.Contains(_manifestUri, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{e.Message} (version {Version}, manifest {_manifestUri})", e);
        }
        catch (NotSupportedException e) when (!e.Message.Contains(_manifestUri, StringComparison.Ordinal))
        {
            throw new NotSupportedException($"{e.Message} (version {Version}, manifest {_manifestUri})", e);
        }
    }

    private async Task<RecordBatch> ReadAsync(IReadOnlyList<string>? columns, long offset, long? limit, DecodedPages? decodedPages, CancellationToken ct)
    {
        var indices = (columns ?? Schema.Fields.Select(f => f.Name).ToList()).Select(Schema.IndexOf).ToList();
        var schema = new Schema(indices.Select(i => Schema.Fields[i]).ToList());
        var count = Math.Max(0, Math.Min(limit ?? CountRows, CountRows - offset));
        var parts = indices.Select(_ => new List<Column>()).ToList();
        long fragmentStart = 0;
        foreach (var fragment in Fragments)
        {
            var from = Math.Max(offset, fragmentStart);
            var to = Math.Min(offset + count, fragmentStart + fragment.Rows);
            if (from < to)
            {
                var loaded = await Task.WhenAll(indices.Select(i =>
                    ReadFragmentColumnAsync(fragment, i, from - fragmentStart, (int)(to - from), decodedPages, ct)));
                for (var c = 0; c < loaded.Length; c++) parts[c].Add(loaded[c]);
            }
            fragmentStart += fragment.Rows;
        }
        var joined = indices.Select((index, c) => parts[c].Count == 0
            ? ColumnFactory.Empty(Schema.Fields[index].Type)
            : ColumnConcat.Concat(Schema.Fields[index].Type, parts[c])).ToList();
        return new RecordBatch(schema, joined);
    }

    /// <summary>Visible rows [start, start + count) of one fragment's column, skipping deleted rows.</summary>
    private async Task<Column> ReadFragmentColumnAsync(Fragment fragment, int fieldIndex, long start, int count, DecodedPages? decodedPages,
        CancellationToken ct)
    {
        if (fragment.Deletions is null) return await ReadPhysicalAsync(fragment, fieldIndex, start, count, decodedPages, ct);
        var kept = await KeptRowsAsync(fragment, ct);
        var first = kept[start];
        var last = kept[start + count - 1];
        var physical = await ReadPhysicalAsync(fragment, fieldIndex, first, last - first + 1, decodedPages, ct);
        if (physical.Length == count) return physical;
        // Visible rows come in runs between deleted ones: one slice per run.
        var runs = new List<Column>();
        var runStart = 0;
        for (var i = 1; i <= count; i++)
        {
            if (i < count && kept[start + i] == kept[start + i - 1] + 1) continue;
            runs.Add(physical.Slice(kept[start + runStart] - first, i - runStart));
            runStart = i;
        }
        return ColumnConcat.Concat(physical.Type, runs);
    }

    private async Task<Column> ReadPhysicalAsync(Fragment fragment, int fieldIndex, long start, int count, DecodedPages? decodedPages, CancellationToken ct)
    {
        var field = Schema.Fields[fieldIndex];
        foreach (var file in fragment.Files)
        {
            var column = file.ColumnOf(fieldIndex);
            if (column < 0) continue;
            var reader = await Reader(file, ct);
            if (reader.Rows != fragment.PhysicalRows)
                throw new InvalidDataException($"{reader.Uri} holds {reader.Rows} rows; the manifest says fragment {fragment.Id} has {fragment.PhysicalRows}");
            var values = await reader.ReadColumnAsync(column, field.Type, start, count, decodedPages, ct);
            if (!field.Nullable && values.NullCount > 0)
                throw new InvalidDataException($"{reader.Uri}: column '{field.Name}' is not nullable in the schema but holds nulls");
            return values;
        }
        // LanceDB's add-columns with all-null values records the field without writing any data file; a column missing
        // any other way means damaged field ids, and its data is somewhere unknown.
        if (field.Nullable && !fragment.MissingColumnsSuspect) return ColumnFactory.Nulls(field.Type, count);
        throw new InvalidDataException(
            $"fragment {fragment.Id} of {_store.Uri(Path)} has no data file for column '{field.Name}'{(fragment.MissingColumnsSuspect ? " and the field ids do not show it was added later" : "")}");
    }

    private Task<int[]> KeptRowsAsync(Fragment fragment, CancellationToken ct)
    {
        lock (_keptRows)
        {
            if (!_keptRows.TryGetValue(fragment.Id, out var kept))
                _keptRows[fragment.Id] = kept = DeletionVectors.KeptRowsAsync(_store, Path, fragment, ct);
            return kept;
        }
    }

    private Task<LanceFileReader> Reader(DataFile file, CancellationToken ct)
    {
        lock (_readers)
        {
            if (!_readers.TryGetValue(file.Path, out var reader))
                _readers[file.Path] = reader = OpenAsync(file, ct);
            return reader;
        }
    }

    private async Task<LanceFileReader> OpenAsync(DataFile file, CancellationToken ct)
    {
        var reader = await LanceFileReader.OpenAsync(_store, $"{Path}/data/{file.Path}", file.SizeBytes > 0 ? file.SizeBytes : null, ct);
        return reader.FileVersion == file.FileVersion
            ? reader
            : throw new InvalidDataException($"{reader.Uri} is a {reader.FileVersion} file but the manifest records file format {file.FileVersion}");
    }
}
