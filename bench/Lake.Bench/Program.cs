// Lake benchmark against LanceDB (the reference implementation) on the same data in the same run:
// 70,000 rows of fixed_size_list<float32, 784>, int64 and utf8; write, full read and scans in batches of 64, 1,024 and
// 65,536 rows, local disk and S3; and a read of the same table written by LanceDB in its default file format 2.2.
// usage: dotnet run -c Release --project bench/Lake.Bench [-- --rows 70000 --repeats 3 --stores local,s3]   (S3 needs eng/services.sh start)
using System.Diagnostics;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;

var rows = Option("--rows", 70_000);
var repeats = Option("--repeats", 3);
const int Dimension = 784;
var schema = new Schema(new Field("image", LanceType.FixedSizeListFloat32(Dimension)), new Field("id", LanceType.Int64), new Field("text", LanceType.Utf8));
var batches = Enumerable.Range(0, (rows + 9_999) / 10_000).Select(b => Batch(b * 10_000, Math.Min(10_000, rows - b * 10_000))).ToList();
var megabytes = batches.Sum(b => b.Length * (Dimension * 4.0 + 8 + 12)) / 1e6;
Console.WriteLine($"Lake benchmark: {rows} rows x (vector[{Dimension}] float32, int64, utf8) = {megabytes:0} MB; median of {repeats}");

foreach (var kind in (args.SkipWhile(a => a != "--stores").Skip(1).FirstOrDefault() ?? "local,s3").Split(','))
{
    var options = kind == "s3"
        ? new LakeOptions
        {
            Root = $"s3://{ServicesEnvironment.Get("S3__Bucket")}/bench/{Guid.NewGuid():N}", S3ServiceUrl = ServicesEnvironment.Get("S3__ServiceUrl"),
            S3AccessKey = ServicesEnvironment.Get("S3__AccessKey"), S3SecretKey = ServicesEnvironment.Get("S3__SecretKey"),
        }
        : new LakeOptions { Root = Path.Combine(Path.GetTempPath(), "aiplatform-lake-bench", Guid.NewGuid().ToString("N")) };
    var catalog = new LakeCatalog(options);
    var datasets = options.Root.StartsWith("s3://") ? options.Root + "/datasets" : Path.Combine(options.Root, "datasets");

    var oursWrite = await Median(repeats, async () =>
    {
        await using var writer = catalog.CreateDatasetWriter("ours", schema, WriteMode.Overwrite);
        foreach (var batch in batches) await writer.WriteAsync(batch);
        await writer.CommitAsync();
    });
    var oursRead = await Median(repeats, async () =>
    {
        var dataset = await catalog.OpenDatasetAsync("ours");
        var read = await dataset.ReadAsync();
        if (read.Length != rows) throw new InvalidOperationException($"read {read.Length} rows");
    });
    // A scan in batches decodes each page once, so its cost stays that of one whole read whatever the batch size.
    var batched = new List<(int Size, double Seconds)>();
    foreach (var batchSize in new[] { 64, 1_024, 65_536 })
        batched.Add((batchSize, await Median(repeats, async () =>
        {
            var dataset = await catalog.OpenDatasetAsync("ours");
            long read = 0;
            await foreach (var batch in dataset.ReadBatchesAsync(batchSize)) read += batch.Length;
            if (read != rows) throw new InvalidOperationException($"scanned {read} rows");
        })));
    var theirsWrite = MedianOf(repeats, () => Oracle("bench-write", datasets, "theirs", rows.ToString(), Dimension.ToString()));
    var theirsRead = MedianOf(repeats, () => Oracle("bench-read", datasets, "theirs"));
    // LanceDB's default file format (2.2), written by LanceDB and read by both sides.
    Oracle("bench-write", datasets, "theirs22", rows.ToString(), Dimension.ToString(), "--storage", "2.2");
    var ours22Read = await Median(repeats, async () =>
    {
        var dataset = await catalog.OpenDatasetAsync("theirs22");
        var read = await dataset.ReadAsync();
        if (read.Length != rows) throw new InvalidOperationException($"read {read.Length} rows of the 2.2 table");
    });
    var theirs22Read = MedianOf(repeats, () => Oracle("bench-read", datasets, "theirs22"));

    Console.WriteLine($"{kind,-5} write: this library {megabytes / oursWrite:0} MB/s ({oursWrite:0.000} s), LanceDB {megabytes / theirsWrite:0} MB/s ({theirsWrite:0.000} s), ratio {oursWrite / theirsWrite:0.00} (goal <= 1.0)");
    // Reads aim at half LanceDB's time on local disk, where decoding is all there is; on S3 the transfer is the same for both.
    var readGoal = kind == "local" ? "0.5" : "1.0";
    Console.WriteLine($"{kind,-5} read:  this library {megabytes / oursRead:0} MB/s ({oursRead:0.000} s), LanceDB {megabytes / theirsRead:0} MB/s ({theirsRead:0.000} s), ratio {oursRead / theirsRead:0.00} (goal <= {readGoal})");
    Console.WriteLine($"{kind,-5} read of LanceDB's 2.2 files: this library {megabytes / ours22Read:0} MB/s ({ours22Read:0.000} s), LanceDB {megabytes / theirs22Read:0} MB/s ({theirs22Read:0.000} s), ratio {ours22Read / theirs22Read:0.00} (goal <= {readGoal})");
    foreach (var (size, seconds) in batched)
        Console.WriteLine($"{kind,-5} scan in batches of {size,6}: {seconds:0.000} s, ratio to the whole read {seconds / oursRead:0.00} (goal <= 1.1)");
    await catalog.DeleteDatasetAsync("ours");
    await catalog.DeleteDatasetAsync("theirs");
    await catalog.DeleteDatasetAsync("theirs22");
    if (kind == "local") Directory.Delete(options.Root, recursive: true);
}

RecordBatch Batch(int first, int count)
{
    var values = new float[count * Dimension];
    for (var i = 0; i < count; i++)
    for (var j = 0; j < Dimension; j++)
        values[i * Dimension + j] = ((first + i) * 31 + j * 17) % 255 / 255f;
    return new RecordBatch(schema, [
        new FixedSizeListFloat32Column(Dimension, values),
        new Int64Column(Enumerable.Range(first, count).Select(i => (long)i).ToArray()),
        StringColumn.From(Enumerable.Range(first, count).Select(i => (string?)$"item-{i}").ToList()),
    ]);
}

static async Task<double> Median(int repeats, Func<Task> run)
{
    var times = new List<double>();
    for (var i = 0; i < repeats; i++)
    {
        var clock = Stopwatch.StartNew();
        await run();
        times.Add(clock.Elapsed.TotalSeconds);
    }
    return times.Order().ElementAt(times.Count / 2);
}

static double MedianOf(int repeats, Func<double> run) => Enumerable.Range(0, repeats).Select(_ => run()).Order().ElementAt(repeats / 2);

static double Oracle(params string[] arguments) => LanceDbProcess.Run(arguments)["seconds"]!.GetValue<double>();

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
}
