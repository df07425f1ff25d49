// Task lifecycle benchmark on the real local services: dispatch latency (POST -> TaskStarted, as stamped by the
// worker) and end-to-end throughput of trivial tasks through gateway, saga and workers, with 1 and with 2 workers.
// usage: dotnet run -c Release --project bench/Platform.Bench [-- --latency-tasks 100 --throughput-tasks 300]
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;

var latencyTasks = Option("--latency-tasks", 100);
var throughputTasks = Option("--throughput-tasks", 300);

Console.WriteLine($"Task lifecycle benchmark ({Environment.ProcessorCount} cores, {DateTime.UtcNow:u})");
await using (var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = ["Workers.Ingest"] }))
{
    await WarmUpAsync(fleet);
    var latencies = await MeasureDispatchLatencyAsync(fleet, latencyTasks);
    Console.WriteLine($"dispatch latency POST -> TaskStarted over {latencyTasks} sequential tasks: " +
                      $"p50 {Percentile(latencies, 50):0.0} ms, p99 {Percentile(latencies, 99):0.0} ms, max {latencies.Max():0.0} ms");
    var one = await MeasureThroughputAsync(fleet, throughputTasks);
    Console.WriteLine($"throughput, 1 ingest worker:  {one:0.0} tasks/s ({throughputTasks} tasks)");
    fleet.StartWorker("Workers.Ingest");
    while (await fleet.LiveWorkerCountAsync("ingest") < 2) await Task.Delay(200);
    await WarmUpAsync(fleet);
    var two = await MeasureThroughputAsync(fleet, throughputTasks);
    Console.WriteLine($"throughput, 2 ingest workers: {two:0.0} tasks/s ({throughputTasks} tasks); scaling x{two / one:0.00}");
}

async Task WarmUpAsync(LocalFleet fleet) => await MeasureThroughputAsync(fleet, 10);

async Task<List<double>> MeasureDispatchLatencyAsync(LocalFleet fleet, int count)
{
    var latencies = new List<double>();
    for (var i = 0; i < count; i++)
    {
        var posted = DateTimeOffset.UtcNow;
        var id = await SubmitAsync(fleet, $"lat-{i}-{Guid.NewGuid():N}"[..20]);
        var started = await WaitForStartedEventAsync(fleet, id);
        latencies.Add((started - posted).TotalMilliseconds);
        // The next task is posted to an idle fleet, so each figure is dispatch alone, not queueing behind the previous task.
        await WaitForCompletedAsync(fleet, id);
    }
    return latencies;
}

async Task<double> MeasureThroughputAsync(LocalFleet fleet, int count)
{
    var clock = Stopwatch.StartNew();
    var ids = new List<Guid>();
    using var gate = new SemaphoreSlim(16);
    await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
    {
        await gate.WaitAsync();
        try
        {
            var id = await SubmitAsync(fleet, $"tp-{i}-{Guid.NewGuid():N}"[..20]);
            lock (ids) ids.Add(id);
        }
        finally
        {
            gate.Release();
        }
    }));
    foreach (var id in ids) await WaitForCompletedAsync(fleet, id);
    return count / clock.Elapsed.TotalSeconds;
}

async Task WaitForCompletedAsync(LocalFleet fleet, Guid id)
{
    while ((await fleet.Http.GetFromJsonAsync<JsonNode>($"/api/v1/tasks/{id}"))!["status"]!.GetValue<string>() != "completed")
        await Task.Delay(10);
}

async Task<Guid> SubmitAsync(LocalFleet fleet, string name)
{
    using var response = await fleet.Http.PostAsJsonAsync("/api/v1/tasks", new { type = "ingestion", name, script = "echo.csx", @params = new { message = "bench" } });
    response.EnsureSuccessStatusCode();
    return (await response.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<Guid>();
}

async Task<DateTimeOffset> WaitForStartedEventAsync(LocalFleet fleet, Guid id)
{
    while (true)
    {
        var events = (await fleet.Http.GetFromJsonAsync<JsonArray>($"/api/v1/tasks/{id}/events"))!;
        var started = events.FirstOrDefault(e => e!["kind"]!.GetValue<string>() == "started");
        if (started is not null) return started["timestamp"]!.GetValue<DateTimeOffset>();
        await Task.Delay(5);
    }
}

static double Percentile(List<double> values, double percentile)
{
    var sorted = values.Order().ToList();
    var index = (int)Math.Ceiling(percentile / 100 * sorted.Count) - 1;
    return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
}

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
}
