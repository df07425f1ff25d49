// Cost of the key check per request, on a real gateway (no workers): the same open endpoint (/healthz) called
// without a key and with a valid admin key (the authentication middleware checks a key whenever one is sent), plus an
// endpoint that needs a role (GET /api/v1/me), and a task listing (a query held to the request's project) with a key of
// every project and with a key of one project. Once with the gateway's key cache (the default) and once with it off, so
// every request looks its key up in PostgreSQL. Rounds interleave the variants so load drift hits them alike.
// usage: dotnet run -c Release --project bench/Auth.Bench [-- --requests 3000]
using System.Diagnostics;
using AiPlatform.Fleet;

var requests = Option("--requests", 3000);
const int RoundSize = 100;

Console.WriteLine($"Auth overhead benchmark ({Environment.ProcessorCount} cores, {DateTime.UtcNow:u}), {requests} sequential requests per variant");
foreach (var (label, cache) in new[] { ("key cache on (default, 5 s)", "00:00:05"), ("key cache off (database per request)", "00:00:00") })
{
    await using var fleet = await LocalFleet.StartAsync(new FleetOptions
    {
        Workers = [],
        Settings = new Dictionary<string, string> { ["Auth__KeyCacheDuration"] = cache, ["Logging__LogLevel__AiPlatform.Gateway.Audit"] = "Warning" },
    });
    using var anonymous = fleet.Client(null);
    using var projectKey = fleet.Client(await fleet.CreateKeyAsync($"bench-{Guid.NewGuid():N}"[..14], "viewer", "bench"));
    var variants = new (string Name, HttpClient Client, string Path)[]
    {
        ("GET /healthz, no key", anonymous, "/healthz"),
        ("GET /healthz, admin key checked", fleet.Http, "/healthz"),
        ("GET /api/v1/me, key + role", fleet.Http, "/api/v1/me"),
        ("GET /api/v1/tasks, every project's key", fleet.Http, "/api/v1/tasks?limit=1"),
        ("GET /api/v1/tasks, one project's key", projectKey, "/api/v1/tasks?limit=1"),
    };
    var timings = variants.Select(_ => new List<double>()).ToArray();
    for (var warm = 0; warm < 200; warm++)
        foreach (var v in variants) await TimeAsync(v.Client, v.Path);
    for (var done = 0; done < requests; done += RoundSize)
        for (var i = 0; i < variants.Length; i++)
            for (var n = 0; n < RoundSize; n++) timings[i].Add(await TimeAsync(variants[i].Client, variants[i].Path));

    Console.WriteLine(label);
    var baseline = (Percentile.Of(timings[0], 50), Percentile.Of(timings[0], 99));
    for (var i = 0; i < variants.Length; i++)
        Console.WriteLine($"  {variants[i].Name,-40} p50 {Percentile.Of(timings[i], 50),6:0.000} ms  p99 {Percentile.Of(timings[i], 99),6:0.000} ms" +
                          (i == 0 ? "" : $"  ({Percentile.Of(timings[i], 50) - baseline.Item1:+0.000;-0.000} / {Percentile.Of(timings[i], 99) - baseline.Item2:+0.000;-0.000} ms against no key)"));
}

static async Task<double> TimeAsync(HttpClient client, string path)
{
    var clock = Stopwatch.StartNew();
    using var response = await client.GetAsync(path);
    await response.Content.LoadIntoBufferAsync();
    var elapsed = clock.Elapsed.TotalMilliseconds;
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
    return elapsed;
}


int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
}
