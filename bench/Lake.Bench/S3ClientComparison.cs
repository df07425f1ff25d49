using System.Diagnostics;
using AiPlatform.Fleet;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;

/// <summary>
/// AWSSDK.S3 vs the MinIO SDK on the same S3 server, rounds alternating which client goes first: the benchmark's dataset
/// written and read through the lake, and p50 latencies of the small requests the lake makes (PUT, GET, ranged GET,
/// HEAD, LIST, conditional PUT).
/// </summary>
internal static class S3ClientComparison
{
    private static readonly string[] Clients = ["aws", "minio"];
    private const int Requests = 100;

    public static async Task RunAsync(Schema schema, IReadOnlyList<RecordBatch> batches, double megabytes, int rounds)
    {
        var rows = batches.Sum(b => b.Length);
        var samples = Clients.ToDictionary(c => c, _ => new Dictionary<string, List<double>>());
        for (var round = 0; round < rounds; round++)
        foreach (var client in round % 2 == 0 ? Clients : Clients.Reverse())
        {
            var store = ObjectStores.Open(new LakeOptions
            {
                Root = $"s3://{ServicesEnvironment.Get("S3__Bucket")}/bench/{Guid.NewGuid():N}", S3ServiceUrl = ServicesEnvironment.Get("S3__ServiceUrl"),
                S3AccessKey = ServicesEnvironment.Get("S3__AccessKey"), S3SecretKey = ServicesEnvironment.Get("S3__SecretKey"), S3Client = client,
            });
            var catalog = new LakeCatalog(store);
            var timings = samples[client];
            Add(timings, "dataset write s", await Seconds(async () =>
            {
                await using var writer = catalog.CreateDatasetWriter("compare", schema);
                foreach (var batch in batches) await writer.WriteAsync(batch);
                await writer.CommitAsync();
            }));
            Add(timings, "dataset read s", await Seconds(async () =>
            {
                var read = await (await catalog.OpenDatasetAsync("compare")).ReadAsync();
                if (read.Length != rows) throw new InvalidOperationException($"read {read.Length} rows");
            }));
            await catalog.DeleteDatasetAsync("compare");
            await SmallRequestsAsync(store, timings);
            await store.DeletePrefixAsync("small");
            await store.DeletePrefixAsync("commits");
            Console.Error.WriteLine($"round {round + 1}/{rounds} {client}: dataset write {timings["dataset write s"][^1]:0.00} s, read {timings["dataset read s"][^1]:0.00} s");
        }

        Console.WriteLine($"S3 clients on {ServicesEnvironment.Get("S3__ServiceUrl")}: {rounds} rounds alternating the order; dataset {megabytes:0} MB ({rows} rows), median of rounds; requests: p50 of {Requests} per round x {rounds}");
        Console.WriteLine($"{"",-22}{"aws",12}{"minio",12}{"minio/aws",12}");
        foreach (var measure in samples["aws"].Keys)
        {
            double P50(string client) => samples[client][measure].Order().ElementAt(samples[client][measure].Count / 2);
            Console.WriteLine($"{measure,-22}{P50("aws"),12:0.000}{P50("minio"),12:0.000}{P50("minio") / P50("aws"),12:0.00}");
        }
    }

    private static async Task SmallRequestsAsync(IObjectStore store, Dictionary<string, List<double>> timings)
    {
        var small = new byte[4096];
        var large = Path.GetTempFileName();
        await File.WriteAllBytesAsync(large, new byte[16 << 20]);
        await store.UploadAsync("small/large.bin", large);
        for (var i = 0; i < Requests; i++)
            Add(timings, "PUT 4 KiB ms", await Milliseconds(() => store.WriteAsync($"small/{i}.bin", small)));
        for (var i = 0; i < Requests; i++)
            Add(timings, "GET 4 KiB ms", await Milliseconds(() => store.ReadAsync($"small/{i}.bin")));
        for (var i = 0; i < Requests; i++)
            Add(timings, "GET range 64 KiB ms", await Milliseconds(() => store.ReadRangeAsync("small/large.bin", i * 65_536L, 65_536)));
        for (var i = 0; i < Requests; i++)
            Add(timings, "HEAD ms", await Milliseconds(() => store.SizeAsync($"small/{i}.bin")));
        for (var i = 0; i < Requests / 5; i++)
            Add(timings, "LIST 101 keys ms", await Milliseconds(() => store.ListAsync("small")));
        for (var i = 0; i < Requests; i++)
            Add(timings, "create-if-absent ms", await Milliseconds(() => store.CreateIfAbsentAsync($"commits/{i}.manifest", small)));
    }

    private static void Add(Dictionary<string, List<double>> timings, string measure, double value)
    {
        if (!timings.TryGetValue(measure, out var values)) timings[measure] = values = [];
        values.Add(value);
    }

    private static async Task<double> Seconds(Func<Task> run)
    {
        var clock = Stopwatch.StartNew();
        await run();
        return clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> Milliseconds(Func<Task> run) => await Seconds(run) * 1000;
}
