using System.Net;
using System.Text.Json.Nodes;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

[Collection(PlatformCollection.Name)]
public sealed class TaskLifecycleTests(PlatformFixture platform)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task Submitted_task_is_visible_at_once_and_completes_with_the_script_result()
    {
        using var response = await platform.PostJsonAsync("/api/v1/tasks", new
        {
            type = "ingestion", name = UniqueName("echo"), script = "echo.csx", input = "in-path", output = "out-name",
            @params = new { message = "hello", times = 3 },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var id = created["id"]!.GetValue<Guid>();
        Assert.Equal("ingestion", created["type"]!.GetValue<string>());
        Assert.Equal("pending", created["status"]!.GetValue<string>());
        Assert.NotNull(created["created_at"]);
        Assert.Equal($"/api/v1/tasks/{id}", response.Headers.Location!.OriginalString);

        var immediately = await platform.GetTaskAsync(id);
        Assert.Equal(id, immediately["id"]!.GetValue<Guid>());

        var done = await platform.WaitForStatusAsync(id, Patience, "completed", "failed");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal("hello", done["result"]!["message"]!.GetValue<string>());
        Assert.Equal(3, done["result"]!["times"]!.GetValue<int>());
        Assert.Equal("in-path", done["result"]!["input"]!.GetValue<string>());
        Assert.Equal(1, done["attempts"]!.GetValue<int>());
        Assert.StartsWith("ingest-", done["worker_id"]!.GetValue<string>());
        Assert.NotNull(done["started_at"]);
        Assert.NotNull(done["finished_at"]);

        var kinds = (await WaitForEventsAsync(id, "completed")).Select(e => e!["kind"]!.GetValue<string>()).ToList();
        Assert.Contains("started", kinds);
        Assert.Contains("logged", kinds);
    }

    [Fact]
    public async Task Failing_script_fails_the_task_with_its_message()
    {
        var id = await platform.SubmitAsync(new
        {
            type = "training", name = UniqueName("fail"), script = "fail.csx", @params = new { message = "labels column missing" },
        });
        var task = await platform.WaitForStatusAsync(id, Patience, "failed", "completed");
        Assert.Equal("failed", task["status"]!.GetValue<string>());
        Assert.Contains("labels column missing", task["error"]!.GetValue<string>());
        Assert.Contains("InvalidOperationException", task["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Script_that_does_not_compile_fails_with_the_compiler_message()
    {
        var id = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("cerr"), script = "compile_error.csx" });
        var task = await platform.WaitForStatusAsync(id, Patience, "failed", "completed");
        var error = task["error"]!.GetValue<string>();
        Assert.Contains("does not compile", error);
        Assert.Contains("undefinedVariable", error);
    }

    [Fact]
    public async Task Script_that_crashes_its_process_fails_the_task_and_the_worker_lives_on()
    {
        var id = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("crash"), script = "crash.csx" });
        var task = await platform.WaitForStatusAsync(id, Patience, "failed", "completed");
        Assert.Contains("exited unexpectedly", task["error"]!.GetValue<string>());

        var next = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("after-crash"), script = "echo.csx" });
        Assert.Equal("completed", (await platform.WaitForStatusAsync(next, Patience, "completed", "failed"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Scripts_in_subfolders_run()
    {
        var id = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("nested"), script = "nested/echo_nested.csx" });
        var task = await platform.WaitForStatusAsync(id, Patience, "completed", "failed");
        Assert.True(task["result"]!["nested"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Progress_is_reported_while_running()
    {
        var id = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("progress"), script = "sleep.csx", @params = new { seconds = 3 } });
        var running = await platform.WaitForStatusAsync(id, Patience, "running");
        var deadline = DateTime.UtcNow + Patience;
        while (running["progress"] is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            running = await platform.GetTaskAsync(id);
        }
        Assert.NotNull(running["progress"]);
        Assert.Equal("sleeping", running["progress"]!["message"]!.GetValue<string>());
        var done = await platform.WaitForStatusAsync(id, Patience, "completed");
        Assert.Equal(1.0, done["progress"]!["fraction"]!.GetValue<double>());
    }

    [Fact]
    public async Task Two_workers_of_one_kind_share_the_queue()
    {
        var first = await platform.SubmitAsync(new { type = "training", name = UniqueName("share-a"), script = "sleep.csx", @params = new { seconds = 4 } });
        var second = await platform.SubmitAsync(new { type = "training", name = UniqueName("share-b"), script = "sleep.csx", @params = new { seconds = 4 } });
        var a = await platform.WaitForStatusAsync(first, Patience, "completed");
        var b = await platform.WaitForStatusAsync(second, Patience, "completed");
        Assert.NotEqual(a["worker_id"]!.GetValue<string>(), b["worker_id"]!.GetValue<string>());
        // They ran side by side, not one after the other.
        Assert.True(b["started_at"]!.GetValue<DateTimeOffset>() < a["finished_at"]!.GetValue<DateTimeOffset>());
    }

    private async Task<JsonArray> WaitForEventsAsync(Guid id, string kind)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonArray events;
        do
        {
            events = await platform.GetEventsAsync(id);
            if (events.Any(e => e!["kind"]!.GetValue<string>() == kind)) return events;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        return events;
    }
}
