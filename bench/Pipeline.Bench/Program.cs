// Pipeline engine latency on an idle fleet (gateway, one ingest and two train workers; trivial echo steps), against
// issue 12's goals: execute -> first step running (p50 <= 100 ms), step done -> dependent step running (p50 <= 50 ms),
// a 50-step fan-out/fan-in end to end, and the pipeline API's p99 under 50 concurrent clients (<= 50 ms; the plan asks
// < 500 ms). Latencies come from the platform's own timestamps (run created, task started and finished), so polling
// adds nothing to them.
// usage: dotnet run -c Release --project bench/Pipeline.Bench [-- --runs 20 --fanout-runs 3 --clients 50 --requests 40]
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;

var runs = Option("--runs", 20);
var fanOutRuns = Option("--fanout-runs", 3);
var clients = Option("--clients", 50);
var requestsPerClient = Option("--requests", 40);
const int FanOutSteps = 50;

Console.WriteLine($"Pipeline benchmark ({Environment.ProcessorCount} cores, {DateTime.UtcNow:u})");
await using var fleet = await LocalFleet.StartAsync(new FleetOptions
{
    Workers = ["Workers.Ingest", "Workers.Train", "Workers.Train"],
    Settings = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" },
});
var http = fleet.Http;

var chain = await CreateAsync("bench-chain", [Echo("first"), Echo("second", "first")]);
var fanOut = await CreateAsync("bench-fanout",
    [Echo("start"), .. Enumerable.Range(1, FanOutSteps - 2).Select(i => Echo($"branch{i}", "start")),
     Echo("join", [.. Enumerable.Range(1, FanOutSteps - 2).Select(i => $"branch{i}")])]);
// Unmeasured: every worker compiles the echo script once, and the gateway warms its paths.
for (var i = 0; i < 4; i++) await RunAsync(chain);

var toFirst = new List<double>();
var toDependent = new List<double>();
for (var i = 0; i < runs; i++)
{
    var run = await RunAsync(chain);
    var first = await TaskAsync(run, "first");
    var second = await TaskAsync(run, "second");
    toFirst.Add((Time(first, "started_at") - Time(run, "created_at")).TotalMilliseconds);
    toDependent.Add((Time(second, "started_at") - Time(first, "finished_at")).TotalMilliseconds);
}
Report($"execute -> first step running ({runs} runs)", toFirst, "p50 <= 100 ms");
Report($"step done -> dependent running ({runs} runs)", toDependent, "p50 <= 50 ms");

for (var i = 0; i < fanOutRuns; i++)
{
    var run = await RunAsync(fanOut);
    var seconds = (Time(run, "finished_at") - Time(run, "created_at")).TotalSeconds;
    var join = await TaskAsync(run, "join");
    var lastBranch = (await Task.WhenAll(Enumerable.Range(1, FanOutSteps - 2).Select(b => TaskAsync(run, $"branch{b}"))))
        .Max(t => Time(t, "finished_at"));
    Console.WriteLine($"  {FanOutSteps}-step fan-out/fan-in, run {i + 1}: {seconds:0.00} s end to end ({seconds / FanOutSteps * 1000:0} ms per step, " +
                      $"2 train workers); last branch done -> join running {(Time(join, "started_at") - lastBranch).TotalMilliseconds:0} ms");
}

await ApiLoadAsync();

async Task ApiLoadAsync()
{
    string[] calls = ["get pipeline", "list runs", "status", "get run", "execute"];
    var sample = await RunAsync(chain);
    var timings = calls.ToDictionary(c => c, _ => new List<double>());
    var wall = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
    {
        var random = new Random(client);
        for (var i = 0; i < requestsPerClient; i++)
        {
            // One request in ten starts a run: reads dominate, as with people and dashboards watching pipelines.
            var call = random.Next(10) == 0 ? "execute" : calls[random.Next(calls.Length - 1)];
            var clock = Stopwatch.StartNew();
            using var response = call switch
            {
                "get pipeline" => await http.GetAsync($"/api/v2/pipelines/{chain}"),
                "list runs" => await http.GetAsync($"/api/v2/pipelines/{chain}/runs?limit=20"),
                "status" => await http.GetAsync($"/api/v2/pipelines/{chain}/status"),
                "get run" => await http.GetAsync($"/api/v2/runs/{sample["id"]}"),
                _ => await http.PostAsJsonAsync($"/api/v2/pipelines/{chain}/execute", new { }),
            };
            await response.Content.LoadIntoBufferAsync();
            var ms = clock.Elapsed.TotalMilliseconds;
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"{call} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            lock (timings) timings[call].Add(ms);
        }
    }));
    var elapsed = wall.Elapsed.TotalSeconds;
    Console.WriteLine($"pipeline API, {clients} concurrent clients x {requestsPerClient} requests:");
    foreach (var call in calls)
        Console.WriteLine($"  {call,-12} n={timings[call].Count,5}  p50 {Percentile.Of(timings[call], 50),7:0.0} ms  p99 {Percentile.Of(timings[call], 99),7:0.0} ms");
    var all = timings.Values.SelectMany(t => t).ToList();
    Console.WriteLine($"  {"all",-12} n={all.Count,5}  p50 {Percentile.Of(all, 50),7:0.0} ms  p99 {Percentile.Of(all, 99),7:0.0} ms   {all.Count / elapsed:0} requests/s" +
                      $"   goal p99 <= 50 ms: {Verdict(Percentile.Of(all, 99) <= 50)}; plan < 500 ms: {Verdict(Percentile.Of(all, 99) < 500)}");
}

object Echo(string name, params string[] dependsOn) =>
    new { name, type = "training", script = "echo.csx", depends_on = dependsOn, @params = new { message = name } };

async Task<string> CreateAsync(string name, object[] steps)
{
    using var response = await http.PostAsJsonAsync("/api/v2/pipelines", new { name = $"{name}-{Guid.NewGuid():N}"[..(name.Length + 7)], steps });
    var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"create answered {(int)response.StatusCode}: {body.ToJsonString()}");
    return body["id"]!.GetValue<string>();
}

/// <summary>Starts a run and waits for it to complete (polling only to know when; the figures use its timestamps).</summary>
async Task<JsonNode> RunAsync(string pipeline)
{
    using var started = await http.PostAsJsonAsync($"/api/v2/pipelines/{pipeline}/execute", new { });
    var id = JsonNode.Parse(await started.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
    var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
    while (true)
    {
        var run = JsonNode.Parse(await http.GetStringAsync($"/api/v2/runs/{id}"))!;
        var status = run["status"]!.GetValue<string>();
        if (status == "completed") return run;
        if (status is "failed" or "cancelled" || DateTime.UtcNow > deadline) throw new InvalidOperationException($"run {id} ended {status}: {run.ToJsonString()}");
        await Task.Delay(50);
    }
}

async Task<JsonNode> TaskAsync(JsonNode run, string step) =>
    JsonNode.Parse(await http.GetStringAsync($"/api/v1/tasks/{run["steps"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == step)!["task_id"]}"))!;

static DateTimeOffset Time(JsonNode node, string field) => DateTimeOffset.Parse(node[field]!.GetValue<string>());

static void Report(string what, List<double> values, string goal) =>
    Console.WriteLine($"  {what}: p50 {Percentile.Of(values, 50):0} ms  p99 {Percentile.Of(values, 99):0} ms  (goal {goal}: {Verdict(Percentile.Of(values, 50) <= double.Parse(goal.Split(' ')[2]))})");

static string Verdict(bool met) => met ? "met" : "NOT met";


int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
}
