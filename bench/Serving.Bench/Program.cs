// Serving benchmark: predict latency through the gateway (p50/p99 at concurrency 1 and 16) and throughput with one
// and with two serve workers, for the reference CNN, on the real local services.
// usage: dotnet run -c Release --project bench/Serving.Bench [-- --requests 400]
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;

var requests = Option("--requests", 400);
await using var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = ["Workers.Serve"] });
using (var model = new ReferenceCnn())
    await new LakeCatalog(new LakeOptions { Root = fleet.LakeRoot }).Models.SaveAsync("bench-cnn",
        new ModelArtifact(ReferenceCnn.Architecture, model.save_state_dict(), [], [], []));
using var submitted = await fleet.Http.PostAsJsonAsync("/api/v1/tasks", new { type = "inference", name = "bench-service", model = "bench-cnn" });
var service = (await submitted.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<Guid>();
while ((await fleet.Http.GetFromJsonAsync<JsonNode>($"/api/v1/tasks/{service}"))!["status"]!.GetValue<string>() != "running") await Task.Delay(100);

var image = Enumerable.Range(0, 784).Select(i => i % 28 / 28f).ToArray();
Console.WriteLine($"Serving benchmark: reference CNN, single-image predict requests through the gateway ({Environment.ProcessorCount} cores)");
await MeasureAsync(1, 50);
var one = await MeasureAsync(1, requests / 2);
var sixteen = await MeasureAsync(16, requests);
Console.WriteLine($"1 serve worker:  c=1  p50 {one.P50:0.0} ms p99 {one.P99:0.0} ms ({one.Throughput:0} req/s);  c=16 p50 {sixteen.P50:0.0} ms p99 {sixteen.P99:0.0} ms ({sixteen.Throughput:0} req/s)");

fleet.StartWorker("Workers.Serve");
while (await fleet.LiveWorkerCountAsync("serve") < 2) await Task.Delay(200);
await Task.Delay(TimeSpan.FromSeconds(5)); // the new replica loads the model
await MeasureAsync(16, 100);
var two = await MeasureAsync(16, requests);
Console.WriteLine($"2 serve workers: c=16 p50 {two.P50:0.0} ms p99 {two.P99:0.0} ms ({two.Throughput:0} req/s); throughput x{two.Throughput / sixteen.Throughput:0.00} of one worker");

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
            response.EnsureSuccessStatusCode();
            lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }));
    var sorted = latencies.Order().ToList();
    return (sorted[sorted.Count / 2], sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * 0.99))], count / clock.Elapsed.TotalSeconds);
}

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
}
