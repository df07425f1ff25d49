using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// One trace per task, across processes: the REST submit in the gateway, the command through RabbitMQ, the worker's
/// claim and run, the script runner's compile and run, and the saga taking the worker's events. A gateway and an ingest
/// worker export over OTLP to a collector in the test, which checks the span tree by its ids. A pipeline run is one trace
/// too, from its execute call through every step its saga dispatches.
/// </summary>
public sealed class TracingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly OtlpTraceReceiver _collector = new();
    private LocalFleet _fleet = null!;
    private ManagedProcess _worker = null!;

    public async Task InitializeAsync()
    {
        _fleet = await LocalFleet.StartAsync(new FleetOptions
        {
            Workers = [],
            Settings = new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _collector.Endpoint.ToString(),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                // Batches leave every 200 ms instead of 5 s, so the test need not wait long for the last spans.
                ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            },
        });
        _worker = _fleet.StartWorker("Workers.Ingest");
        var deadline = DateTime.UtcNow + Patience;
        while (await _fleet.LiveWorkerCountAsync() < 1)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the worker sent no heartbeat; see {_worker.LogPath}");
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task A_task_is_one_trace_from_the_rest_submit_through_the_bus_the_worker_and_the_script_runner()
    {
        var id = await SubmitEchoAsync();
        await _fleet.Http.WaitForTaskStatusAsync(id, Patience, "completed");
        var taskId = id.ToString();

        var submit = await WaitForSpanAsync(s => s.Kind == ReceivedSpan.Server && s.Attributes.GetValueOrDefault("aiplatform.task.id") == taskId);
        var trace = submit.TraceId;
        // The saga's consume of the worker's TaskCompleted is the last hop of the task's trace.
        await WaitForSpanAsync(s => s.TraceId == trace && s.Service == "aiplatform-gateway" && s.Kind == ReceivedSpan.Consumer &&
                                    s.Attributes.Values.Any(v => v.Contains("TaskCompleted")));
        var spans = await WholeTraceAsync(trace);
        foreach (var span in spans.Values) output.WriteLine(span.ToString());

        Assert.Null(submit.ParentSpanId);
        Assert.Equal("aiplatform-gateway", submit.Service);
        var run = Single(spans, "run task");
        Assert.Equal("aiplatform-worker-ingest", run.Service);
        Assert.Equal(taskId, run.Attributes["aiplatform.task.id"]);
        var claim = Single(spans, "claim task");

        // run task <- the worker's consume of the command <- the gateway's send of it <- the REST submit
        var consume = spans[run.ParentSpanId!];
        Assert.Equal((ReceivedSpan.Consumer, "aiplatform-worker-ingest"), (consume.Kind, consume.Service));
        Assert.Equal(consume.SpanId, claim.ParentSpanId);
        var send = Ancestors(spans, consume).First(s => s.Kind == ReceivedSpan.Producer);
        Assert.Equal("aiplatform-gateway", send.Service);
        Assert.Contains(submit, Ancestors(spans, send));

        // The runner's spans, timed in its own process, hang under the worker's run span.
        foreach (var name in new[] { "compile script", "run script" })
        {
            var runnerSpan = Single(spans, name);
            Assert.Equal(run.SpanId, runnerSpan.ParentSpanId);
            Assert.Equal("AiPlatform.ScriptRunner", runnerSpan.Scope);
        }
        // The claim's request reaches the saga in the gateway, and so do the worker's events: all in this trace.
        Assert.Contains(spans.Values, s => s.Service == "aiplatform-gateway" && s.Kind == ReceivedSpan.Consumer &&
                                           s.Attributes.Values.Any(v => v.Contains("ClaimTask")));
        // Every span's parent is in the trace: nothing hangs off a span that went elsewhere.
        Assert.All(spans.Values, s => Assert.False(IsOrphan(spans, s), $"orphan: {s}"));
    }

    [Fact]
    public async Task Each_task_has_a_trace_of_its_own_and_worker_log_lines_carry_only_their_own_task()
    {
        var first = await SubmitEchoAsync();
        await _fleet.Http.WaitForTaskStatusAsync(first, Patience, "completed");
        var second = await SubmitEchoAsync();
        await _fleet.Http.WaitForTaskStatusAsync(second, Patience, "completed");

        var runs = new[] { first, second }.Select(id => WaitForSpanAsync(s => s.Name == "run task" && s.Attributes.GetValueOrDefault("aiplatform.task.id") == id.ToString()));
        var traces = (await Task.WhenAll(runs)).Select(s => s.TraceId).ToList();
        Assert.NotEqual(traces[0], traces[1]);
        // The pooled runner that ran the first task runs the second: its spans follow the task, not the runner.
        foreach (var trace in traces)
            Assert.Equal(2, _collector.Spans.Count(s => s.TraceId == trace && s.Scope == "AiPlatform.ScriptRunner"));

        var lines = await File.ReadAllLinesAsync(_worker.LogPath);
        var taskLines = lines.Where(l => l.Contains($"=> task {second}")).ToList();
        Assert.NotEmpty(taskLines);
        // A scope that outlived its task would show as "=> task A ... => task B" on B's lines.
        Assert.All(taskLines, l => Assert.DoesNotContain($"task {first}", l));
        Assert.All(taskLines, l => Assert.Contains($"TraceId:{traces[1]}", l));
    }

    [Fact]
    public async Task A_pipeline_run_is_one_trace_from_its_execute_call_through_every_step_the_run_saga_dispatches()
    {
        var pipeline = await PostForIdAsync("/api/v2/pipelines", new
        {
            name = $"traced-{Guid.NewGuid():N}"[..20],
            steps = new object[]
            {
                new { name = "first", type = "ingestion", script = "echo.csx", @params = new { message = "one" } },
                new { name = "second", type = "ingestion", script = "echo.csx", depends_on = new[] { "first" }, @params = new { message = "two" } },
            },
        });
        var run = await WaitForCompletedRunAsync(await PostForIdAsync($"/api/v2/pipelines/{pipeline}/execute", new { }));

        var execute = await WaitForSpanAsync(s => s.Kind == ReceivedSpan.Server &&
                                                  s.Attributes.GetValueOrDefault("url.path") == $"/api/v2/pipelines/{pipeline}/execute");
        // The second step is dispatched by the run saga as it takes the first one's completion, inside that trace.
        foreach (var step in run["steps"]!.AsArray())
        {
            var taskId = step!["task_id"]!.GetValue<string>();
            var stepRun = await WaitForSpanAsync(s => s.Name == "run task" && s.Attributes.GetValueOrDefault("aiplatform.task.id") == taskId);
            Assert.Equal(execute.TraceId, stepRun.TraceId);
        }
    }

    private async Task<JsonNode> WaitForCompletedRunAsync(Guid run)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var state = JsonNode.Parse(await _fleet.Http.GetStringAsync($"/api/v2/runs/{run}"))!;
            if (state["status"]!.GetValue<string>() == "completed") return state;
            Assert.True(DateTime.UtcNow < deadline, $"run {run} not completed: {state.ToJsonString()}");
            await Task.Delay(200);
        }
    }

    private async Task<Guid> PostForIdAsync(string path, object body)
    {
        using var response = await _fleet.Http.PostAsync(path,
            new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<Guid>();
    }

    private async Task<Guid> SubmitEchoAsync() => await _fleet.Http.SubmitTaskAsync(new
    {
        type = "ingestion", name = $"traced-{Guid.NewGuid():N}"[..20], script = "echo.csx", input = "in", output = "out",
        @params = new { message = "traced" },
    });

    private static ReceivedSpan Single(Dictionary<string, ReceivedSpan> spans, string name) =>
        Assert.Single(spans.Values, s => s.Name == name);

    private static IEnumerable<ReceivedSpan> Ancestors(Dictionary<string, ReceivedSpan> spans, ReceivedSpan span)
    {
        while (span.ParentSpanId is { } parent && spans.TryGetValue(parent, out var next)) yield return span = next;
    }

    private static bool IsOrphan(Dictionary<string, ReceivedSpan> spans, ReceivedSpan span) =>
        span.ParentSpanId is { } parent && !spans.ContainsKey(parent);

    /// <summary>
    /// The trace's spans once every parent has arrived: a span is exported when it ends, so a parent (a receive span
    /// around its process span) can come a batch after its children.
    /// </summary>
    private async Task<Dictionary<string, ReceivedSpan>> WholeTraceAsync(string trace)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var spans = _collector.Spans.Where(s => s.TraceId == trace).ToDictionary(s => s.SpanId);
            if (!spans.Values.Any(s => IsOrphan(spans, s)) || DateTime.UtcNow > deadline) return spans;
            await Task.Delay(200);
        }
    }

    private async Task<ReceivedSpan> WaitForSpanAsync(Func<ReceivedSpan, bool> match)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_collector.Spans.FirstOrDefault(match) is { } span) return span;
            await Task.Delay(200);
        }
        foreach (var span in _collector.Spans) output.WriteLine(span.ToString());
        throw new TimeoutException($"no such span among the {_collector.Spans.Count} received");
    }

    public async Task DisposeAsync()
    {
        await _fleet.DisposeAsync();
        await _collector.DisposeAsync();
    }
}
