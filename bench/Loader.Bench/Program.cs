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
var ratios = lakes.Keys.ToDictionary(k => k, _ => new List<double>());
for (var round = 1; round <= rounds; round++)
{
    // Each round runs the three feeds, the in-memory one first in odd rounds and last in even ones, so drift in the
    // machine's speed (noisy shared cores) hits each alike.
    var seconds = new Dictionary<string, double>();
    var feeds = new List<string> { "memory" }.Concat(lakes.Keys).ToList();
    if (round % 2 == 0) feeds.Reverse();
    foreach (var feed in feeds)
        seconds[feed] = feed == "memory"
            ? TrainEpoch(InMemoryBatches())
            : TrainEpoch(LoaderBatches(new DataLoader(lakes[feed], new DataLoaderOptions
            {
                BatchSize = 64, Columns = ["image", "label"], Shuffle = true, Seed = round, Prefetch = prefetch,
            })));
    var line = $"round {round}: in memory {seconds["memory"]:0.00} s";
    foreach (var lake in lakes.Keys)
    {
        ratios[lake].Add(seconds[lake] / seconds["memory"]);
        line += $"; loader from {lake} {seconds[lake]:0.00} s (ratio {ratios[lake][^1]:0.000})";
    }
    Console.WriteLine(line);
}
foreach (var (lake, values) in ratios)
{
    values.Sort();
    Console.WriteLine($"loader from {lake} / in-memory arrays: median {values[values.Count / 2]:0.000} over {rounds} rounds " +
                      $"(min {values[0]:0.000}, max {values[^1]:0.000}; goal <= 1.05)");
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

static double TrainEpoch(IEnumerable<(Tensor X, Tensor Y)> batches)
{
    manual_seed(1);
    using var model = new ReferenceCnn();
    using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
    model.train();
    var clock = Stopwatch.StartNew();
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
    return clock.Elapsed.TotalSeconds;
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
