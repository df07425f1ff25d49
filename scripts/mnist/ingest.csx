// MNIST-style ingestion: the four IDX files (gzip or raw) of `input` (a folder, or an s3:// prefix) become a new version
// of the Lance dataset <output>, written in streamed batches so memory does not grow with the data; the registry records
// the version with this task and script as its origin.
//
// params: normalize (true: pixels / 255), flatten (true; false also stores height and width columns),
//         test_ratio (absent: keep the files' own train/test split), seed (for test_ratio), batch_size (10000),
//         max_per_split (absent: every image; N: only the first N images of each file, for quick runs)
// result: total_records, train_records, test_records, dropped_records, dataset, version
using System.Buffers.Binary;

const int ImagesMagic = 2051, LabelsMagic = 2049;

async Task<object> Run(string input, string output, ScriptParams p)
{
    if (string.IsNullOrWhiteSpace(input)) throw new ArgumentException("input must name the folder (or s3:// prefix) holding the IDX files");
    if (string.IsNullOrWhiteSpace(output)) throw new ArgumentException("output must name the dataset to write");
    var normalize = p.GetBool("normalize", true);
    var flatten = p.GetBool("flatten", true);
    double? testRatio = p.Has("test_ratio") ? p.GetDouble("test_ratio", 0) : null;
    if (testRatio is < 0 or > 1) throw new ArgumentException("test_ratio must be between 0 and 1");
    var seed = p.GetInt("seed", 1);
    var batchSize = p.GetInt("batch_size", 10_000);
    if (batchSize < 1) throw new ArgumentException($"batch_size must be 1 or more; got {batchSize}");
    var maxPerSplit = p.GetInt("max_per_split", int.MaxValue);
    if (maxPerSplit < 1) throw new ArgumentException($"max_per_split must be 1 or more; got {maxPerSplit}");

    var source = Context.OpenLocation(input);
    var splits = new[] { ("train", "train"), ("t10k", "test") };
    var files = new List<(string Split, IdxImages Images, IdxLabels Labels)>();
    foreach (var (prefix, split) in splits)
    {
        var images = await IdxImages.OpenAsync(source, prefix);
        var labels = await IdxLabels.OpenAsync(source, prefix);
        if (images.Count != labels.Count)
            throw new InvalidDataException($"{prefix}: {images.Count} images but {labels.Count} labels");
        files.Add((split, images, labels));
    }
    var total = files.Sum(f => (long)Math.Min(f.Images.Count, maxPerSplit));
    Context.Log($"ingesting {total} images of {files[0].Images.Rows}x{files[0].Images.Columns} from {input}");

    var fields = new List<Field>
    {
        new("image", LanceType.FixedSizeListFloat32(784), false),
        new("label", LanceType.Int64, false),
        new("split", LanceType.Utf8, false),
        new("source_index", LanceType.Int64, false),
    };
    if (!flatten) fields.AddRange([new Field("height", LanceType.Int32, false), new Field("width", LanceType.Int32, false)]);
    var schema = new Schema(fields);

    long written = 0, train = 0, test = 0, dropped = 0, seen = 0;
    var random = new Random(seed);
    await using var writer = Context.Lake.CreateDatasetWriter(output, schema, WriteMode.Overwrite);
    foreach (var (split, images, labels) in files)
    {
        var available = Math.Min(images.Count, maxPerSplit);
        for (var start = 0; start < available; start += batchSize)
        {
            Context.CancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(batchSize, available - start);
            var pixels = images.Read(count);
            var raw = labels.Read(count);
            var keep = Enumerable.Range(0, count).Where(i => raw[i] <= 9).ToArray();
            dropped += count - keep.Length;
            var values = new float[keep.Length * 784];
            for (var k = 0; k < keep.Length; k++)
            for (var j = 0; j < 784; j++)
                values[k * 784 + j] = normalize ? pixels[keep[k] * 784 + j] / 255f : pixels[keep[k] * 784 + j];
            var splitNames = keep.Select(_ => testRatio is { } ratio ? (random.NextDouble() < ratio ? "test" : "train") : split).ToList();
            train += splitNames.Count(s => s == "train");
            test += splitNames.Count(s => s == "test");
            var columns = new List<Column>
            {
                new FixedSizeListFloat32Column(784, values),
                new Int64Column(keep.Select(i => (long)raw[i]).ToArray()),
                StringColumn.From(splitNames),
                new Int64Column(keep.Select(i => (long)(start + i)).ToArray()),
            };
            if (!flatten) columns.AddRange([new Int32Column(Enumerable.Repeat(28, keep.Length).ToArray()), new Int32Column(Enumerable.Repeat(28, keep.Length).ToArray())]);
            await writer.WriteAsync(new RecordBatch(schema, columns));
            written += keep.Length;
            seen += count;
            Context.Progress((double)seen / total, $"{seen} of {total} images", new { rows = written, dropped });
        }
    }
    var version = await writer.CommitAsync();
    return new { total_records = written, train_records = train, test_records = test, dropped_records = dropped, dataset = output, version };
}

/// <summary>Opens an IDX file by its standard name, gzip-compressed or raw.</summary>
static async Task<Stream> OpenIdx(ScriptLocation source, string name)
{
    if (await source.ExistsAsync(name + ".gz")) return new GZipStream(await source.OpenAsync(name + ".gz"), CompressionMode.Decompress);
    if (await source.ExistsAsync(name)) return await source.OpenAsync(name);
    throw new FileNotFoundException($"{name}(.gz) not found in {source.Uri}");
}

static int ReadInt(Stream stream, string name)
{
    Span<byte> bytes = stackalloc byte[4];
    try { stream.ReadExactly(bytes); }
    catch (EndOfStreamException) { throw new InvalidDataException($"{name} is truncated: its header is incomplete"); }
    return BinaryPrimitives.ReadInt32BigEndian(bytes);
}

sealed class IdxImages(Stream stream, int count, int rows, int columns, string name)
{
    public int Count => count;
    public int Rows => rows;
    public int Columns => columns;

    public static async Task<IdxImages> OpenAsync(ScriptLocation source, string prefix)
    {
        var name = $"{prefix}-images-idx3-ubyte";
        var stream = await OpenIdx(source, name);
        var magic = ReadInt(stream, name);
        if (magic != ImagesMagic) throw new InvalidDataException($"{name}: magic number {magic} is not an IDX image file's ({ImagesMagic})");
        var (count, rows, columns) = (ReadInt(stream, name), ReadInt(stream, name), ReadInt(stream, name));
        if (rows != 28 || columns != 28) throw new InvalidDataException($"{name}: images are {rows}x{columns}, expected 28x28");
        if (count <= 0) throw new InvalidDataException($"{name}: image count {count} is not positive");
        return new IdxImages(stream, count, rows, columns, name);
    }

    public byte[] Read(int images)
    {
        var bytes = new byte[images * 784];
        try { stream.ReadExactly(bytes); }
        catch (EndOfStreamException) { throw new InvalidDataException($"{name} is truncated: it announces {count} images but holds fewer"); }
        return bytes;
    }
}

sealed class IdxLabels(Stream stream, int count, string name)
{
    public int Count => count;

    public static async Task<IdxLabels> OpenAsync(ScriptLocation source, string prefix)
    {
        var name = $"{prefix}-labels-idx1-ubyte";
        var stream = await OpenIdx(source, name);
        var magic = ReadInt(stream, name);
        if (magic != LabelsMagic) throw new InvalidDataException($"{name}: magic number {magic} is not an IDX label file's ({LabelsMagic})");
        return new IdxLabels(stream, ReadInt(stream, name), name);
    }

    public byte[] Read(int labels)
    {
        var bytes = new byte[labels];
        try { stream.ReadExactly(bytes); }
        catch (EndOfStreamException) { throw new InvalidDataException($"{name} is truncated: it announces {count} labels but holds fewer"); }
        return bytes;
    }
}
