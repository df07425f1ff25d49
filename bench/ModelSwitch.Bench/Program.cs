// Promote-to-serving switch time: a service started on model@production under a steady predict load, the alias moved
// back and forth (promote, rollback); for each move, the time from the alias call's answer to the first prediction
// that reports the new version (X-Model-Version). The model is tiny (tests/Platform.Tests/scripts/serving/model_sum.csx),
// so the figure is the platform's own switch cost: announcement, swap, the serving script's reload; a large model adds
// its load time, during which the old version keeps answering.
// usage: dotnet run -c Release --project bench/ModelSwitch.Bench [-- --moves 40 --clients 4]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;

var moves = Option("--moves", 40);
var clients = Option("--clients", 4);
Console.WriteLine($"Model switch time: {moves} alias moves under a load of {clients} concurrent predict clients ({Environment.ProcessorCount} cores, shared machine)");
await using var fleet = await LocalFleet.StartAsync(new FleetOptions
{
    Workers = ["Workers.Ingest", "Workers.Train", "Workers.Serve"],
    Settings = new Dictionary<string, string> { ["Predict__RequestsPerSecondPerClient"] = "1000000" },
});
var http = fleet.Http;
await RunAsync(new { type = "ingestion", name = "switch-ingest", script = "registry/write_dataset.csx", output = "switch-ds" });
await RunAsync(new { type = "training", name = "switch-train-1", script = "registry/save_model.csx", input = "switch-ds", output = "switch-m" });
await RunAsync(new { type = "training", name = "switch-train-2", script = "registry/save_model.csx", input = "switch-ds", output = "switch-m",
    @params = new { parent = "switch-m" } });
while ((await http.GetFromJsonAsync<JsonArray>("/api/v1/models/switch-m/versions"))!.Count < 2) await Task.Delay(200);
await MoveAsync("1.0.0");
using var submitted = await http.PostAsJsonAsync("/api/v1/tasks",
    new { type = "inference", name = "switch-service", model = "switch-m@production", script = "serving/model_sum.csx" });
var service = (await submitted.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<Guid>();
while ((await http.GetFromJsonAsync<JsonNode>($"/api/v1/tasks/{service}"))!["status"]!.GetValue<string>() != "running") await Task.Delay(200);

// The load: each answer's version and when it arrived.
var answers = new ConcurrentQueue<(long At, string? Version, bool Ok)>();
using var stop = new CancellationTokenSource();
var load = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
{
    while (!stop.IsCancellationRequested)
    {
        using var response = await http.PostAsync($"/api/v1/tasks/{service}/predict", new StringContent("""{"id": 1}""", Encoding.UTF8, "application/json"));
        answers.Enqueue((Stopwatch.GetTimestamp(), response.Headers.TryGetValues("X-Model-Version", out var v) ? v.Single() : null, response.IsSuccessStatusCode));
    }
})).ToArray();

var switchMs = new List<double>();
for (var move = 0; move < moves; move++)
{
    var (version, exact) = move % 2 == 0 ? ("1.1.0", "switch-m@2") : ("1.0.0", "switch-m@1");
    await MoveAsync(version);
    var answered = Stopwatch.GetTimestamp();
    var deadline = DateTime.UtcNow.AddSeconds(60);
    long? first = null;
    while (first is null && DateTime.UtcNow < deadline)
    {
        first = answers.Where(a => a.At >= answered && a.Version == exact).Select(a => (long?)a.At).FirstOrDefault();
        if (first is null) await Task.Delay(1);
    }
    if (first is null) throw new TimeoutException($"no answer from {exact} within 60 s of the move");
    switchMs.Add(Stopwatch.GetElapsedTime(answered, first.Value).TotalMilliseconds);
}
stop.Cancel();
await Task.WhenAll(load);
switchMs.Sort();
var all = answers.ToList();
Console.WriteLine($"switch time from the alias call's answer to the first prediction by the new version: p50 {Percentile(0.50):0} ms, " +
                  $"p99 {Percentile(0.99):0} ms (min {switchMs[0]:0}, max {switchMs[^1]:0}, {switchMs.Count} moves)");
Console.WriteLine($"predictions during the moves: {all.Count}, failed: {all.Count(a => !a.Ok)}");

double Percentile(double p) => switchMs[Math.Min(switchMs.Count - 1, (int)Math.Ceiling(p * switchMs.Count) - 1)];

async Task MoveAsync(string version)
{
    using var response = await http.PutAsJsonAsync("/api/v1/models/switch-m/aliases/production", new { version, reason = "switch benchmark" });
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"moving production to {version}: {await response.Content.ReadAsStringAsync()}");
}

async Task RunAsync(object request)
{
    using var response = await http.PostAsJsonAsync("/api/v1/tasks", request);
    var id = (await response.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<Guid>();
    while (true)
    {
        var status = (await http.GetFromJsonAsync<JsonNode>($"/api/v1/tasks/{id}"))!["status"]!.GetValue<string>();
        if (status == "completed") return;
        if (status is "failed" or "cancelled") throw new InvalidOperationException($"task {id} {status}");
        await Task.Delay(250);
    }
}

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1]) : fallback;
}
