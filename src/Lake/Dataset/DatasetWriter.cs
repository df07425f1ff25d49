using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Format;
using AiPlatform.Lake.Metrics;
using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Dataset;

public enum WriteMode
{
    /// <summary>A new dataset; fails if one exists.</summary>
    Create,
    /// <summary>New rows on top of the latest version (created when absent).</summary>
    Append,
    /// <summary>A new version holding only the rows written now; older versions stay readable.</summary>
    Overwrite,
}

/// <summary>
/// Streams batches into new data files and commits them as one new version. Nothing is visible until the manifest is
/// created (atomically); a writer disposed without committing deletes its data files and leaves no version behind.
/// </summary>
public sealed class DatasetWriter : IAsyncDisposable
{
    private const long RowsPerFile = 1_000_000;
    private const int MaxCommitAttempts = 20;

    private readonly IObjectStore _store;
    private readonly string _path;
    private readonly Schema _schema;
    private readonly WriteMode _mode;
    private readonly List<(string Name, long Rows, long Size)> _written = [];
    private (LanceFileWriter Writer, FileStream Stream, string Name)? _current;
    private bool _committed;
    private long? _readVersion;

    internal DatasetWriter(IObjectStore store, string path, Schema schema, WriteMode mode)
    {
        foreach (var field in schema.Fields)
            if (field.Name.Length == 0 || field.Name.Contains('.'))
                throw new ArgumentException($"column name '{field.Name}' is not allowed: Lance refuses empty names and dots in top-level names (a dot addresses a nested field)");
        _store = store;
        _path = path;
        _schema = schema;
        _mode = mode;
    }

    public long RowsWritten => _written.Sum(f => f.Rows) + (_current?.Writer.Rows ?? 0);

    /// <summary>An Apache Arrow batch of the dataset's schema (see <see cref="ArrowBatches.FromArrow(Apache.Arrow.RecordBatch)"/>).</summary>
    public Task WriteAsync(Apache.Arrow.RecordBatch batch, CancellationToken ct = default) => WriteAsync(ArrowBatches.FromArrow(batch), ct);

    public async Task WriteAsync(RecordBatch batch, CancellationToken ct = default)
    {
        if (_committed) throw new InvalidOperationException("this writer has already committed");
        if (!batch.Schema.SameAs(_schema))
            throw new ArgumentException($"batch schema ({Describe(batch.Schema)}) differs from the dataset's ({Describe(_schema)})");
        // The version this write is based on: an overwrite that finds a newer one at commit time must not win silently.
        _readVersion ??= (await LanceDataset.ListVersionsAsync(_store, _path, ct)).LastOrDefault();
        _current ??= StartFile();
        _current.Value.Writer.Write(batch);
        if (_current.Value.Writer.Rows >= RowsPerFile) await FinishFileAsync(ct);
    }

    /// <summary>Makes the written rows a new version; returns its number.</summary>
    public async Task<long> CommitAsync(CancellationToken ct = default)
    {
        if (_committed) throw new InvalidOperationException("this writer has already committed");
        await FinishFileAsync(ct);
        for (var attempt = 1; ; attempt++)
        {
            var versions = await LanceDataset.ListVersionsAsync(_store, _path, ct);
            var latest = versions.LastOrDefault();
            if (_mode != WriteMode.Append && _readVersion is { } read && latest != read)
                throw Refused(
                    $"{_store.Uri(_path)} moved from version {read} to {latest} while this {_mode.ToString().ToLowerInvariant()} was being written; it was not applied");
            var previous = versions.Count == 0 ? null : (await LanceDataset.ReadManifestAsync(_store, _path, latest, ct)).Manifest;
            var manifest = NextManifest(previous);
            var transaction = $"{manifest.Version - 1}-{Guid.NewGuid()}.txn";
            await _store.WriteAsync($"{_path}/_transactions/{transaction}", TransactionBytes(manifest, previous), ct);
            if (await _store.CreateIfAbsentAsync($"{_path}/{Versions.Folder}/{Versions.ManifestName(manifest.Version)}",
                    (manifest with { TransactionFile = transaction }).Serialize(), ct))
            {
                _committed = true;
                return manifest.Version;
            }
            await _store.DeleteAsync($"{_path}/_transactions/{transaction}", ct);
            if (_mode != WriteMode.Append || attempt >= MaxCommitAttempts)
                throw Refused(
                    $"another writer committed version {manifest.Version} of {_store.Uri(_path)} first; this {_mode.ToString().ToLowerInvariant()} was not applied");
            CountConflict(LakeMetrics.Retried);
            await Task.Delay(Random.Shared.Next(5, 50) * attempt, ct);
        }
    }

    private Manifest NextManifest(Manifest? previous)
    {
        if (previous is not null && _mode == WriteMode.Create)
            throw new DatasetAlreadyExistsException($"dataset {_store.Uri(_path)} already exists (version {previous.Version})");
        var append = _mode == WriteMode.Append && previous is not null;
        if (append) RefuseAppendThatWouldChange(previous!);
        var nextId = previous is null ? 0 : previous.MaxFragmentId + (previous.Fragments.Count > 0 ? 1 : 0);
        var state = append ? previous!.State : null;
        var nextRowId = state?.NextRowId ?? 0;
        var fragments = new List<Fragment>();
        foreach (var (file, i) in _written.Select((file, i) => (file, i)))
        {
            // Tables with stable row ids number every row once; appended rows continue where the table's ids stopped.
            long? firstRowId = state?.StableRowIds == true ? nextRowId : null;
            nextRowId += file.Rows;
            fragments.Add(new Fragment(nextId + i, [new DataFile(file.Name, Enumerable.Range(0, _schema.Fields.Count).ToArray(), file.Size)], file.Rows)
            {
                FirstRowId = firstRowId,
            });
        }
        var kept = append ? previous!.Fragments : [];
        var all = kept.Concat(fragments).ToList();
        var maxId = all.Count == 0 ? previous?.MaxFragmentId ?? 0 : Math.Max(all.Max(f => f.Id), previous?.MaxFragmentId ?? 0);
        return new Manifest(append ? previous!.Schema : _schema, all, (previous?.Version ?? 0) + 1, DateTimeOffset.UtcNow, maxId, null)
        {
            StorageVersion = append ? previous!.StorageVersion : "2.0",
            State = state is null ? null : state with { NextRowId = state.StableRowIds ? nextRowId : state.NextRowId },
        };
    }

    /// <summary>An append keeps the table as it is: same columns, same storage version, no feature it cannot honour.</summary>
    private void RefuseAppendThatWouldChange(Manifest previous)
    {
        if (!previous.Schema.SameAs(_schema))
            throw new ArgumentException($"cannot append: the dataset's schema is {Describe(previous.Schema)}, the batches' is {Describe(_schema)}");
        if (previous.StorageVersion != "2.0")
            throw new NotSupportedException(
                $"cannot append to {_store.Uri(_path)}: the table stores data in Lance file format {previous.StorageVersion} and this library writes file format 2.0; the table was not changed");
        if (previous.State is { } state && (state.WriterFeatureFlags & ~ManifestState.ReadableFlags) != 0)
            throw new NotSupportedException(
                $"cannot append to {_store.Uri(_path)}: the table uses writer features 0x{state.WriterFeatureFlags & ~ManifestState.ReadableFlags:x} this library does not support");
    }

    /// <summary>lance.table.Transaction: read_version=1, uuid=2, append=100 {fragments} or overwrite=102 {fragments, schema}.</summary>
    private byte[] TransactionBytes(Manifest manifest, Manifest? previous)
    {
        var operation = new ProtoWriter();
        foreach (var fragment in manifest.Fragments.Where(f => previous?.Fragments.All(p => p.Id != f.Id) ?? true))
            operation.Message(1, Manifest.FragmentMessage(fragment, manifest.State?.FieldIds));
        var append = _mode == WriteMode.Append && previous is not null;
        if (!append)
            for (var i = 0; i < _schema.Fields.Count; i++) operation.Message(2, LanceFileWriter.FieldMessage(_schema.Fields[i], i));
        return new ProtoWriter()
            .Varint(1, (ulong)(previous?.Version ?? 0))
            .String(2, Guid.NewGuid().ToString())
            .Message(append ? 100 : 102, operation)
            .ToArray();
    }

    private (LanceFileWriter, FileStream, string) StartFile()
    {
        var name = $"{Guid.NewGuid()}.lance";
        var local = Path.Combine(Path.GetTempPath(), "aiplatform-lake-writes", name);
        Directory.CreateDirectory(Path.GetDirectoryName(local)!);
        var stream = new FileStream(local, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        return (new LanceFileWriter(stream, _schema), stream, name);
    }

    private async Task FinishFileAsync(CancellationToken ct)
    {
        if (_current is not { } current) return;
        _current = null;
        var size = current.Writer.Finish();
        var local = current.Stream.Name;
        await current.Stream.DisposeAsync();
        await _store.UploadAsync($"{_path}/data/{current.Name}", local, ct);
        _written.Add((current.Name, current.Writer.Rows, size));
    }

    private static LakeConflictException Refused(string message)
    {
        CountConflict(LakeMetrics.Refused);
        return new LakeConflictException(message);
    }

    private static void CountConflict(string resolution) =>
        LakeMetrics.CommitConflicts.Add(1, new KeyValuePair<string, object?>(LakeMetrics.ResolutionTag, resolution));

    private static string Describe(Schema schema) => string.Join(", ", schema.Fields.Select(f => $"{f.Name}: {f.Type}{(f.Nullable ? "?" : "")}"));

    public async ValueTask DisposeAsync()
    {
        if (_current is { } current)
        {
            var local = current.Stream.Name;
            await current.Stream.DisposeAsync();
            File.Delete(local);
            _current = null;
        }
        if (_committed) return;
        foreach (var file in _written)
        {
            try
            {
                await _store.DeleteAsync($"{_path}/data/{file.Name}");
            }
            catch (Exception)
            {
                // An orphaned data file is invisible: no manifest references it.
            }
        }
    }
}
