// Registry API latency under concurrent clients, on a real gateway (no workers): 50 clients (by default) each send a
// mix of list (GET /api/v1/models?prefix=), get (GET /api/v1/models/{name}), versions (GET .../versions) and promote
// (PUT .../aliases/production) against 10 models of 5 versions each. Prints p50/p99 per call and overall, and the
// request rate. Promotes on one model wait on its row lock, which is what the figure shows.
// usage: dotnet run -c Release --project bench/Registry.Bench [-- --clients 50 --requests 100]
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;

var clients = Option("--clients", 50);
var requestsPerClient = Option("--requests", 100);
const int Models = 10, VersionsPerModel = 5;
string[] calls = ["list", "get", "versions", "promote"];

Console.WriteLine($"Registry API benchmark ({Environment.ProcessorCount} cores, {DateTime.UtcNow:u}): {clients} concurrent clients x {requestsPerClient} requests");
await using var fleet = await LocalFleet.StartAsync(new FleetOptions
{
    Workers = [],
    Settings = new Dictionary<string, string> { ["Logging__LogLevel__AiPlatform.Gateway.Audit"] = "Warning" },
});
var lake = new LakeCatalog(new LakeOptions { Root = fleet.LakeRoot });
var names = Enumerable.Range(0, Models).Select(i => $"bench-m{i}").ToArray();
foreach (var name in names)
    for (var v = 1; v <= VersionsPerModel; v++)
    {
        await lake.Models.SaveAsync(name, new ModelArtifact("Sum", BitConverter.GetBytes((double)v), new JsonObject { ["v"] = v }, [], []));
        // Asking for its lineage registers a version the gateway has not seen yet.
        (await fleet.Http.GetAsync($"/api/v1/lineage?model={name}@{v}")).EnsureSuccessStatusCode();
    }

var timings = calls.ToDictionary(c => c, _ => new List<double>());
await RunAsync(Math.Max(1, clients / 5), 20, new Dictionary<string, List<double>>(calls.ToDictionary(c => c, _ => new List<double>())));
var wall = Stopwatch.StartNew();
await RunAsync(clients, requestsPerClient, timings);
var elapsed = wall.Elapsed.TotalSeconds;

foreach (var call in calls)
    Console.WriteLine($"  {call,-9} n={timings[call].Count,5}  p50 {Percentile.Of(timings[call], 50),7:0.0} ms  p99 {Percentile.Of(timings[call], 99),7:0.0} ms");
var all = timings.Values.SelectMany(t => t).ToList();
Console.WriteLine($"  {"all",-9} n={all.Count,5}  p50 {Percentile.Of(all, 50),7:0.0} ms  p99 {Percentile.Of(all, 99),7:0.0} ms   {all.Count / elapsed:0} requests/s");

async Task RunAsync(int clientCount, int perClient, Dictionary<string, List<double>> into)
{
    await Task.WhenAll(Enumerable.Range(0, clientCount).Select(async client =>
    {
        var random = new Random(client);
        for (var i = 0; i < perClient; i++)
        {
            var call = calls[random.Next(calls.Length)];
            var name = names[random.Next(names.Length)];
            var clock = Stopwatch.StartNew();
            using var response = call switch
            {
                "list" => await fleet.Http.GetAsync("/api/v1/models?prefix=bench-m1"),
                "get" => await fleet.Http.GetAsync($"/api/v1/models/{name}"),
                "versions" => await fleet.Http.GetAsync($"/api/v1/models/{name}/versions"),
                _ => await fleet.Http.PutAsJsonAsync($"/api/v1/models/{name}/aliases/production",
                    new { version = $"1.{random.Next(VersionsPerModel)}.0", reason = "bench" }),
            };
            await response.Content.LoadIntoBufferAsync();
            var ms = clock.Elapsed.TotalMilliseconds;
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"{call} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            lock (into) into[call].Add(ms);
        }
    }));
}


int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
}
