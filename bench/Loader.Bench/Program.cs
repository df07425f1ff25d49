// Data-loader overhead: one epoch of the reference CNN fed by the script API's DataLoader (shuffled, prefetching,
// reading the Lance dataset from a local lake and from S3) against the same epoch fed from arrays already in memory,
// in alternating rounds on the same machine.
// usage: dotnet run -c Release --project bench/Loader.Bench [-- --rows 60000 --rounds 2 --threads 2 --prefetch 4]
using System.Diagnostics;
using AiPlatform.Fleet;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.ScriptApi;
using AiPlatform.ScriptApi.Data;
using AiPlatform.Torch;
using static AiPlatform.Torch.torch;

var rows = Option("--rows", 60_000);
var rounds = Option("--rounds", 2);
var prefetch = Option("--prefetch", 4);
set_num_threads(Option("--threads", Environment.ProcessorCount));
var train = FashionMnist.Load("train");
rows = Math.Min(rows, train.Count);
var images = train.Images.AsSpan(0, rows * 784).ToArray();
var labels = train.Labels.AsSpan(0, rows).ToArray();
Console.WriteLine($"Loader overhead: reference CNN, {rows} Fashion-MNIST images, batch 64, Adam 1e-3, {get_num_threads()} threads, prefetch {prefetch}");

var lakes = new Dictionary<string, LanceDataset>
{
    ["local"] = await WriteAsync(new LakeOptions { Root = Path.Combine(Path.GetTempPath(), "aiplatform-loader-bench", Guid.NewGuid().ToString("N")) }),
    ["s3"] = await WriteAsync(new LakeOptions
    {
        Root = $"s3://{ServicesEnvironment.Get("S3__Bucket")}/loader-bench/{Guid.NewGuid():N}",
        S3ServiceUrl = ServicesEnvironment.Get("S3__ServiceUrl"),
        S3AccessKey = ServicesEnvironment.Get("S3__AccessKey"),
        S3SecretKey = ServicesEnvironment.Get("S3__SecretKey"),
    }),
};

// One unmeasured epoch first: the engine's first steps (native library, JIT, allocator) would count against whoever ran first.
TrainEpoch(InMemoryBatches());
// What the loader itself costs, with nothing to hide it behind: an epoch of batches made and dropped, no training.
foreach (var (lake, dataset) in lakes)
{
    var (wall, cpu) = Measure(() =>
    {
        foreach (var (x, y) in LoaderBatches(NewLoader(dataset, 0))) { x.Dispose(); y.Dispose(); }
    });
    Console.WriteLine($"loader alone from {lake}: {wall:0.00} s, {cpu:0.00} s of this process's CPU");
}
var ratios = lakes.Keys.ToDictionary(k => k, _ => new List<double>());
var cpuRatios = lakes.Keys.ToDictionary(k => k, _ => new List<double>());
for (var round = 1; round <= rounds; round++)
{
    // Each round runs the three feeds, the in-memory one first in odd rounds and last in even ones, so drift in the
    // machine's speed (noisy shared cores) hits each alike.
    var seconds = new Dictionary<string, (double Wall, double Cpu)>();
    var feeds = new List<string> { "memory" }.Concat(lakes.Keys).ToList();
    if (round % 2 == 0) feeds.Reverse();
    foreach (var feed in feeds)
        seconds[feed] = feed == "memory"
            ? Measure(() => TrainEpoch(InMemoryBatches()))
            : Measure(() => TrainEpoch(LoaderBatches(NewLoader(lakes[feed], round))));
    var line = $"round {round}: in memory {seconds["memory"].Wall:0.00} s (cpu {seconds["memory"].Cpu:0.00} s)";
    foreach (var lake in lakes.Keys)
    {
        ratios[lake].Add(seconds[lake].Wall / seconds["memory"].Wall);
        cpuRatios[lake].Add(seconds[lake].Cpu / seconds["memory"].Cpu);
        line += $"; from {lake} {seconds[lake].Wall:0.00} s (ratio {ratios[lake][^1]:0.000}, cpu ratio {cpuRatios[lake][^1]:0.000})";
    }
    Console.WriteLine(line);
}
foreach (var lake in lakes.Keys)
{
    Console.WriteLine($"loader from {lake} / in-memory arrays, wall time: {Summary(ratios[lake])}; goal <= 1.05");
    Console.WriteLine($"loader from {lake} / in-memory arrays, this process's CPU time: {Summary(cpuRatios[lake])}");
}
Console.WriteLine($"live tensors at the end: {Tensor.LiveCount}");

// The in-memory baseline cuts batches straight out of the arrays, in order: the cheapest feed there is.
IEnumerable<(Tensor X, Tensor Y)> InMemoryBatches()
{
    for (var start = 0; start < rows; start += 64)
    {
        var size = Math.Min(64, rows - start);
        yield return (tensor(images.AsSpan(start * 784, size * 784), size, 784), tensor(labels.AsSpan(start, size), size));
    }
}

static IEnumerable<(Tensor X, Tensor Y)> LoaderBatches(DataLoader loader)
{
    var batches = loader.GetAsyncEnumerator();
    try
    {
        while (batches.MoveNextAsync().AsTask().GetAwaiter().GetResult())
        {
            var batch = batches.Current;
            yield return (batch["image"], batch["label"]);
            batch.Dispose();
        }
    }
    finally
    {
        batches.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

DataLoader NewLoader(LanceDataset dataset, int seed) => new(dataset, new DataLoaderOptions
{
    BatchSize = 64, Columns = ["image", "label"], Shuffle = true, Seed = seed, Prefetch = prefetch,
});

// Wall and process CPU seconds of one epoch: CPU time shows what the loader adds even when the machine's other load
// blurs the wall time.
static (double Wall, double Cpu) Measure(Action epoch)
{
    var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    epoch();
    process.Refresh();
    return (clock.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalSeconds);
}

static string Summary(List<double> ratios)
{
    var sorted = ratios.Order().ToList();
    return $"median {sorted[sorted.Count / 2]:0.000} over {sorted.Count} rounds (min {sorted[0]:0.000}, max {sorted[^1]:0.000})";
}

static void TrainEpoch(IEnumerable<(Tensor X, Tensor Y)> batches)
{
    manual_seed(1);
    using var model = new ReferenceCnn();
    using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
    model.train();
    foreach (var (x, y) in batches)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.forward(x), y);
        loss.backward();
        optimizer.step();
        // Batches are made outside the step's scope: freed here once it is done with them (a second dispose is a no-op).
        x.Dispose();
        y.Dispose();
    }
}

async Task<LanceDataset> WriteAsync(LakeOptions options)
{
    var catalog = new LakeCatalog(options);
    var schema = new Schema(new Field("image", LanceType.FixedSizeListFloat32(784), false), new Field("label", LanceType.Int64, false));
    await using (var writer = catalog.CreateDatasetWriter("fashion", schema))
    {
        for (var start = 0; start < rows; start += 10_000)
        {
            var size = Math.Min(10_000, rows - start);
            await writer.WriteAsync(new RecordBatch(schema, [
                new FixedSizeListFloat32Column(784, images.AsSpan(start * 784, size * 784).ToArray()),
                new Int64Column(labels.AsSpan(start, size).ToArray()),
            ]));
        }
        await writer.CommitAsync();
    }
    return await catalog.OpenDatasetAsync("fashion");
}

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1]) : fallback;
}
