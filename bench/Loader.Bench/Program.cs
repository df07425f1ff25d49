// Data-loader overhead: one epoch of the reference CNN fed by the script API's DataLoader (shuffled, prefetching,
// reading the Lance dataset from a local lake, from S3, and from S3 through a worker's relay as a sandboxed runner does) against the same epoch fed from arrays already in memory,
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
using AiPlatform.Workers.Host;
using Microsoft.Extensions.Logging.Abstractions;
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

var s3Lake = new LakeOptions
{
    Root = $"s3://{ServicesEnvironment.Get("S3__Bucket")}/loader-bench/{Guid.NewGuid():N}",
    S3ServiceUrl = ServicesEnvironment.Get("S3__ServiceUrl"),
    S3AccessKey = ServicesEnvironment.Get("S3__AccessKey"),
    S3SecretKey = ServicesEnvironment.Get("S3__SecretKey"),
};
// A sandboxed runner has no network: it reaches S3 through its worker's relay, which this feed measures.
using var relay = S3Relay.Start(Path.Combine(Path.GetTempPath(), "aiplatform-loader-bench", "relay"), new Uri(s3Lake.S3ServiceUrl), NullLogger.Instance);
var lakes = new Dictionary<string, LanceDataset>
{
    ["local"] = await WriteAsync(new LakeOptions { Root = Path.Combine(Path.GetTempPath(), "aiplatform-loader-bench", Guid.NewGuid().ToString("N")) }),
    ["s3"] = await WriteAsync(s3Lake),
    ["s3 through the sandbox's relay"] = await new LakeCatalog(s3Lake with { S3Socket = relay.SocketPath }).OpenDatasetAsync("fashion"),
};

// One unmeasured epoch first: the engine's first steps (native library, JIT, allocator) would count against whoever ran first.
TrainEpoch(InMemoryBatches());
var memoryEpoch = Timing.Measure(() => TrainEpoch(InMemoryBatches()));
Console.WriteLine($"one epoch from in-memory arrays: {memoryEpoch.Wall:0.00} s, {memoryEpoch.Cpu:0.00} s of this process's CPU");
// What the loader itself costs, with nothing to hide it behind: an epoch of batches made and dropped, no training.
// Over an epoch's time it bounds what the loader could add if none of its work overlapped training.
foreach (var (lake, dataset) in lakes)
{
    var (wall, cpu) = Timing.Measure(() =>
    {
        foreach (var (x, y) in LoaderBatches(NewLoader(dataset, 0))) { x.Dispose(); y.Dispose(); }
    });
    Console.WriteLine($"loader alone from {lake}: {wall:0.00} s, {cpu:0.00} s of this process's CPU; " +
                      $"{wall / memoryEpoch.Wall:0.000} of an in-memory epoch (the most it adds with no overlap at all)");
}

// Each round trains one epoch per feed, the feeds taking turns every slice of steps (about a second each) in a
// rotating order, so a slowdown of the shared machine lasting longer than a few seconds hits every feed alike; whole
// epochs one after another would compare 25-second windows of a machine whose speed drifts by more than the 5 % goal.
// A loader paused while the others train fills its prefetch queue (4 batches of a slice) meanwhile: that little of its
// work is charged to the feed beside it, not to itself.
var ratios = lakes.Keys.ToDictionary(k => k, _ => new List<double>());
var cpuRatios = lakes.Keys.ToDictionary(k => k, _ => new List<double>());
for (var round = 1; round <= rounds; round++)
{
    var feeds = new List<Feed> { new("memory", InMemoryBatches()) };
    feeds.AddRange(lakes.Select(lake => new Feed(lake.Key, LoaderBatches(NewLoader(lake.Value, round)))));
    for (var slice = 0; feeds.Any(f => !f.Done); slice++)
        for (var turn = 0; turn < feeds.Count; turn++)
            feeds[(slice + turn) % feeds.Count].Train(slice: 50);
    var memory = feeds[0];
    var line = $"round {round}: in memory {memory.Wall:0.00} s (cpu {memory.Cpu:0.00} s)";
    foreach (var feed in feeds.Skip(1))
    {
        ratios[feed.Name].Add(feed.Wall / memory.Wall);
        cpuRatios[feed.Name].Add(feed.Cpu / memory.Cpu);
        line += $"; from {feed.Name} {feed.Wall:0.00} s (ratio {ratios[feed.Name][^1]:0.000}, cpu ratio {cpuRatios[feed.Name][^1]:0.000})";
    }
    foreach (var feed in feeds) feed.Dispose();
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

static string Summary(List<double> ratios)
{
    var sorted = ratios.Order().ToList();
    return $"median {sorted[sorted.Count / 2]:0.000} over {sorted.Count} rounds (min {sorted[0]:0.000}, max {sorted[^1]:0.000})";
}

static void TrainEpoch(IEnumerable<(Tensor X, Tensor Y)> batches)
{
    using var feed = new Feed("epoch", batches);
    feed.Train(slice: int.MaxValue);
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

/// <summary>One model and optimizer trained from one source of batches, a slice of steps at a time, timing only its own slices.</summary>
sealed class Feed : IDisposable
{
    private readonly IEnumerator<(Tensor X, Tensor Y)> _batches;
    private readonly ReferenceCnn _model;
    private readonly optim.Optimizer _optimizer;

    public Feed(string name, IEnumerable<(Tensor X, Tensor Y)> batches)
    {
        Name = name;
        manual_seed(1);
        _model = new ReferenceCnn();
        _optimizer = optim.Adam(_model.parameters(), lr: 1e-3);
        _model.train();
        _batches = batches.GetEnumerator();
    }

    public string Name { get; }
    public bool Done { get; private set; }
    public double Wall { get; private set; }
    public double Cpu { get; private set; }

    public void Train(int slice)
    {
        if (Done) return;
        var (wall, cpu) = Timing.Measure(() =>
        {
            for (var step = 0; step < slice; step++)
            {
                if (!_batches.MoveNext()) { Done = true; return; }
                var (x, y) = _batches.Current;
                using var scope = NewDisposeScope();
                _optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(_model.forward(x), y);
                loss.backward();
                _optimizer.step();
                // Batches are made outside the step's scope: freed here once it is done with them (a second dispose is a no-op).
                x.Dispose();
                y.Dispose();
            }
        });
        Wall += wall;
        Cpu += cpu;
    }

    public void Dispose()
    {
        _batches.Dispose();
        _optimizer.Dispose();
        _model.Dispose();
    }
}

static class Timing
{
    // Wall and process CPU seconds of some work: CPU time shows what the loader adds even when the machine's other load
    // blurs the wall time.
    public static (double Wall, double Cpu) Measure(Action work)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        work();
        process.Refresh();
        return (clock.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalSeconds);
    }
}
