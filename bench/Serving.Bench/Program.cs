// Serving benchmark: predict latency through the gateway (p50/p99 at concurrency 1) and throughput at concurrency 16
// and 64 with one and with two serve workers, for the reference CNN, on the real local services; the engine's own
// batch throughput in this process is the reference every figure is set against.
// usage: dotnet run -c Release --project bench/Serving.Bench [-- --requests 2000] [--threads N (engine threads per replica;
// default all cores: on a 2-core machine two replicas of 2 threads each contend, with 1 each a second replica has a core)]
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using static AiPlatform.Torch.torch;

var requests = Option("--requests", 2000);
var threads = Option("--threads", 0);
var image = Enumerable.Range(0, 784).Select(i => i % 28 / 28f).ToArray();

Console.WriteLine($"Serving benchmark: reference CNN, single-image predict requests through the gateway ({Environment.ProcessorCount} cores,");
Console.WriteLine("a shared machine: read the ratios, not the absolute figures)");
var engine = MeasureEngine(image);
Console.WriteLine($"engine threads per replica: {(threads > 0 ? threads : Environment.ProcessorCount)}");
Console.WriteLine($"engine alone, in process: one image {engine.SingleMs:0.00} ms; batches of 256: {engine.BatchImagesPerSecond:0} images/s");

await using var fleet = await LocalFleet.StartAsync(new FleetOptions
{
    Workers = ["Workers.Serve"],
    // The gateway's per-client and in-flight limits protect it from strangers; the benchmark is one client on purpose.
    Settings = new Dictionary<string, string>
    {
        ["Predict__RequestsPerSecondPerClient"] = "1000000",
        ["Predict__MaxConcurrentRequests"] = "256",
        ["Predict__QueuedRequests"] = "256",
    },
});
using (var model = new ReferenceCnn())
    await new LakeCatalog(new LakeOptions { Root = fleet.LakeRoot }).Models.SaveAsync("bench-cnn",
        new ModelArtifact(ReferenceCnn.Architecture, model.save_state_dict(), [], [], []));
using var submitted = await fleet.Http.PostAsJsonAsync("/api/v1/tasks", new
{
    type = "inference", name = "bench-service", model = "bench-cnn",
    @params = threads > 0 ? new JsonObject { ["threads"] = threads } : new JsonObject(),
});
var service = (await submitted.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<Guid>();
while ((await fleet.Http.GetFromJsonAsync<JsonNode>($"/api/v1/tasks/{service}"))!["status"]!.GetValue<string>() != "running") await Task.Delay(100);

await MeasureAsync(1, 100);
var one = await MeasureAsync(1, requests / 4);
var sixteen = await MeasureAsync(16, requests);
var sixtyFour = await MeasureAsync(64, requests);
Console.WriteLine($"1 serve worker:  c=1  p50 {one.P50:0.0} ms p99 {one.P99:0.0} ms ({one.Throughput:0} images/s)");
Console.WriteLine($"1 serve worker:  c=16 p50 {sixteen.P50:0.0} ms p99 {sixteen.P99:0.0} ms ({sixteen.Throughput:0} images/s, {Percent(sixteen)} of the engine's batch rate)");
Console.WriteLine($"1 serve worker:  c=64 p50 {sixtyFour.P50:0.0} ms p99 {sixtyFour.P99:0.0} ms ({sixtyFour.Throughput:0} images/s, {Percent(sixtyFour)} of the engine's batch rate)");

fleet.StartWorker("Workers.Serve");
while (await fleet.LiveWorkerCountAsync("serve") < 2) await Task.Delay(200);
await Task.Delay(TimeSpan.FromSeconds(5)); // the new replica loads the model
await MeasureAsync(64, 200);
var two = await MeasureAsync(64, requests);
Console.WriteLine($"2 serve workers: c=64 p50 {two.P50:0.0} ms p99 {two.P99:0.0} ms ({two.Throughput:0} images/s); throughput x{two.Throughput / sixtyFour.Throughput:0.00} of one worker");

string Percent((double P50, double P99, double Throughput) run) => $"{run.Throughput / engine.BatchImagesPerSecond:P1}";

async Task<(double P50, double P99, double Throughput)> MeasureAsync(int concurrency, int count)
{
    var latencies = new List<double>();
    var next = 0;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        while (Interlocked.Increment(ref next) <= count)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await fleet.Http.PostAsJsonAsync($"/api/v1/tasks/{service}/predict", new { image });
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"predict answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }));
    var sorted = latencies.Order().ToList();
    return (sorted[sorted.Count / 2], sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * 0.99))], count / clock.Elapsed.TotalSeconds);
}

static (double SingleMs, double BatchImagesPerSecond) MeasureEngine(float[] image)
{
    using var model = new ReferenceCnn();
    model.eval();
    using var noGrad = no_grad();
    var batch = Enumerable.Repeat(image, 256).SelectMany(x => x).ToArray();
    double Time(float[] pixels, int images, int repeats)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < repeats; i++)
        {
            using var scope = NewDisposeScope();
            model.forward(tensor(pixels, images, 784)).softmax(1).ToArray<float>();
        }
        return clock.Elapsed.TotalSeconds / repeats;
    }
    Time(image, 1, 50);
    Time(batch, 256, 3);
    return (Time(image, 1, 500) * 1000, 256 / Time(batch, 256, 20));
}

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
}
