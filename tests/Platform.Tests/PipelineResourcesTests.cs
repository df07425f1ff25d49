using System.Net;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;
using static AiPlatform.Platform.Tests.PipelinesApi;

namespace AiPlatform.Platform.Tests;

/// <summary>Declared resources: a memory-limited step is held to its limit; requests are validated and shown.</summary>
[Collection(PlatformCollection.Name)]
public sealed class PipelineResourcesTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_memory_limited_step_that_exceeds_its_limit_fails_saying_so_and_one_within_it_completes()
    {
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("memory"),
            on_failure = "continue",
            steps = new object[]
            {
                new { name = "hog", type = "training", script = "memory_hog.csx", resources = new { memory = "256Mi", cpu = 1 }, @params = new { mib = 1024 } },
                new { name = "modest", type = "training", script = "memory_hog.csx", resources = new { memory = 768 }, @params = new { mib = 32 } },
            },
        });
        var done = await platform.WaitForRunAsync(await platform.ExecuteAsync(pipeline), "failed", "completed");

        var hog = Step(done, "hog");
        Assert.Equal("failed", State(hog));
        Assert.StartsWith("memory limit 256 MiB exceeded", hog["error"]!.GetValue<string>());
        var hogTask = await platform.GetTaskAsync(hog["task_id"]!.GetValue<Guid>());
        Assert.Equal(256, hogTask["resources"]!["memory_mib"]!.GetValue<int>());
        Assert.Equal(1, hogTask["resources"]!["cpu"]!.GetValue<double>());

        var modest = Step(done, "modest");
        Assert.Equal("completed", State(modest));
        Assert.Equal(32, modest["result"]!["held_mib"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_plain_task_with_a_memory_limit_is_held_to_it_too()
    {
        var id = await platform.SubmitAsync(new
        {
            type = "training", name = Unique("hogtask"), script = "memory_hog.csx", resources = new { memory = "256Mi" }, @params = new { mib = 2048 },
        });
        var failed = await platform.WaitForStatusAsync(id, Patience, "failed", "completed");
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.StartsWith("memory limit 256 MiB exceeded", failed["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_task_asking_more_than_its_workers_offer_fails_naming_what_is_missing()
    {
        var id = await platform.SubmitAsync(new
        {
            type = "training", name = Unique("huge"), script = "echo.csx", resources = new { cpu = 200 },
        });
        var failed = await platform.WaitForStatusAsync(id, Patience, "failed", "completed");
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Contains("the task needs 200 cpu, but train workers offer", failed["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bad_resources_are_refused_at_submit_and_at_pipeline_create()
    {
        using var task = await platform.PostJsonAsync("/api/v1/tasks", new
        {
            type = "training", name = Unique("bad"), script = "echo.csx", resources = new { memory = "lots" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, task.StatusCode);
        Assert.Contains("field 'resources.memory' must be MiB", await task.Content.ReadAsStringAsync());

        var (status, body) = await platform.SendAsync("/api/v2/pipelines", new
        {
            name = Unique("badres"),
            steps = new object[] { new { name = "a", type = "training", script = "echo.csx", resources = new { cpu = 0, gpu = 1 } } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("field 'steps.a.resources.cpu' must be a number of cores above 0", body["error"]!["message"]!.GetValue<string>());
    }
}
