using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Platform.Bench;

/// <summary>A script that does next to nothing, and its params.</summary>
internal sealed record TrivialScript(string Path, object Params)
{
    /// <summary>The test scripts' echo.csx (a progress report, a log line, its params back).</summary>
    public static readonly TrivialScript Echo = new("echo.csx", new { message = "bench" });

    /// <summary>The container tests' hold.csx held for no time (a progress report, its result): a script both deployments of the tests can run.</summary>
    public static readonly TrivialScript Hold = new("hold.csx", new { seconds = 0 });
}

/// <summary>
/// Submits a trivial script through the REST API of <paramref name="api"/>'s gateway and follows it to its end; with
/// several <paramref name="submitters"/> (clients with keys of their own), the tasks are theirs in turn.
/// </summary>
internal sealed class TrivialTasks(HttpClient api, IReadOnlyList<HttpClient>? submitters = null, TrivialScript? script = null)
{
    private readonly IReadOnlyList<HttpClient> _submitters = submitters ?? [api];
    private readonly TrivialScript _script = script ?? TrivialScript.Echo;

    /// <summary>A warm-up batch, then the dispatch latency (POST -> script running) of sequential tasks and the throughput of a batch.</summary>
    public async Task<(double P50, double P99, double Throughput)> MeasureAsync(int latencyTasks, int throughputTasks)
    {
        await RunBatchAsync(10);
        var running = (await TraceSequentialAsync(latencyTasks)).Select(t => t.ToScriptRunning).ToList();
        var throughput = await RunBatchAsync(throughputTasks);
        return (DispatchBreakdown.Percentile(running, 50), DispatchBreakdown.Percentile(running, 99), throughput);
    }

    /// <summary>One task at a time on an idle fleet, so each trace is dispatch alone, not queueing behind the previous task.</summary>
    public async Task<List<DispatchTrace>> TraceSequentialAsync(int count)
    {
        var traces = new List<DispatchTrace>();
        for (var i = 0; i < count; i++)
        {
            var posted = DateTimeOffset.UtcNow;
            var id = await SubmitAsync($"lat-{i}-{Guid.NewGuid():N}"[..20], i);
            var answered = DateTimeOffset.UtcNow;
            await WaitForCompletedAsync(id);
            var task = (await api.GetFromJsonAsync<JsonNode>($"/api/v1/tasks/{id}"))!;
            traces.Add(DispatchTrace.From(posted, answered, task, await WaitForTimelineAsync(id)));
        }
        return traces;
    }

    /// <summary>Tasks per second for a batch submitted by 16 concurrent clients, until the last one completed (on a fleet running nothing else).</summary>
    public async Task<double> RunBatchAsync(int count)
    {
        var completedBefore = await CountCompletedAsync();
        var clock = Stopwatch.StartNew();
        var ids = new List<Guid>();
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var id = await SubmitAsync($"tp-{i}-{Guid.NewGuid():N}"[..20], i);
                lock (ids) ids.Add(id);
            }
            finally
            {
                gate.Release();
            }
        }));
        // One count a poll for the whole batch, as the Celery side does: polling each task would take the cores the fleet needs.
        while (await CountCompletedAsync() < completedBefore + count) await Task.Delay(10);
        return count / clock.Elapsed.TotalSeconds;
    }

    private async Task<int> CountCompletedAsync() =>
        (await api.GetFromJsonAsync<JsonNode>("/api/v1/tasks?status=completed&limit=1"))!["total"]!.GetValue<int>();

    /// <summary>The timeline is written apart from the task's status, so it may trail the completion by a few milliseconds.</summary>
    private async Task<JsonArray> WaitForTimelineAsync(Guid id)
    {
        for (var attempt = 0; ; attempt++)
        {
            var events = (await api.GetFromJsonAsync<JsonArray>($"/api/v1/tasks/{id}/events"))!;
            if (DispatchTrace.IsComplete(events) || attempt == 500) return events;
            await Task.Delay(10);
        }
    }

    private async Task WaitForCompletedAsync(Guid id)
    {
        while ((await api.GetFromJsonAsync<JsonNode>($"/api/v1/tasks/{id}"))!["status"]!.GetValue<string>() != "completed")
            await Task.Delay(10);
    }

    private async Task<Guid> SubmitAsync(string name, int turn)
    {
        using var response = await _submitters[turn % _submitters.Count].PostAsJsonAsync("/api/v1/tasks",
            new { type = "ingestion", name, script = _script.Path, @params = _script.Params });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<Guid>();
    }
}
