using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;
using static AiPlatform.Platform.Tests.PipelinesApi;

namespace AiPlatform.Platform.Tests;

/// <summary>A run survives a worker killed under one of its steps: the step's task runs again elsewhere, the step once.</summary>
[Collection(PlatformCollection.Name)]
public sealed class PipelineWorkerKillTests(PlatformFixture platform)
{
    [Fact]
    public async Task Killing_the_worker_of_a_running_step_retries_its_task_elsewhere_and_starts_no_step_twice()
    {
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("kill9-run"),
            steps = new object[]
            {
                new { name = "slow", type = "training", script = "sleep.csx", @params = new { seconds = 5 } },
                new { name = "after", type = "training", script = "echo.csx", depends_on = new[] { "slow" }, @params = new { message = "slept ${steps.slow.result.slept}" } },
            },
        });
        var run = await platform.ExecuteAsync(pipeline);
        var started = await platform.WaitForRunAsync(run, r => Step(r, "slow")["task_status"]?.GetValue<string>() == "running", "step slow running");
        var taskId = Step(started, "slow")["task_id"]!.GetValue<Guid>();
        var victim = (await platform.GetTaskAsync(taskId))["worker_id"]!.GetValue<string>();
        System.Diagnostics.Process.GetProcessById(WorkerIds.ProcessIdOf(victim)).Kill();
        platform.StartWorker("Workers.Train");

        var done = await platform.WaitForRunAsync(run, "completed", "failed");
        Assert.True(done["status"]!.GetValue<string>() == "completed", done.ToJsonString());
        PipelineRecovery.AssertEachStepStartedOnce(done);
        var slow = await platform.GetTaskAsync(taskId);
        Assert.Equal(2, slow["attempts"]!.GetValue<int>());
        Assert.NotEqual(victim, slow["worker_id"]!.GetValue<string>());
        Assert.Equal("slept 5", Step(done, "after")["result"]!["message"]!.GetValue<string>());
    }
}

/// <summary>A run survives a RabbitMQ restart in the middle of a step; restarts the shared broker, so it runs alone.</summary>
[Collection(BrokerRestartCollection.Name)]
public sealed class PipelineBrokerRestartTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_broker_restart_mid_run_loses_no_run_and_starts_no_step_twice()
    {
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("mqdown-run"),
            steps = new object[]
            {
                new { name = "during", type = "ingestion", script = "sleep.csx", @params = new { seconds = 4 } },
                new { name = "after", type = "training", script = "echo.csx", depends_on = new[] { "during" }, @params = new { message = "back" } },
            },
        });
        var run = await platform.ExecuteAsync(pipeline);
        var started = await platform.WaitForRunAsync(run, r => Step(r, "during")["task_status"]?.GetValue<string>() == "running", "step during running");
        // The step ends while the broker is down (a restart takes about 20 s here): its end and the next step's start
        // go through the broker once it is back.
        await ServicesEnvironment.RestartRabbitMqAsync();

        var done = await platform.WaitForRunAsync(run, "completed", "failed");
        Assert.True(done["status"]!.GetValue<string>() == "completed", done.ToJsonString());
        PipelineRecovery.AssertEachStepStartedOnce(done);
        var during = await platform.GetTaskAsync(Step(started, "during")["task_id"]!.GetValue<Guid>());
        Assert.Equal(1, during["attempts"]!.GetValue<int>());
        Assert.Equal("back", Step(done, "after")["result"]!["message"]!.GetValue<string>());
    }
}

internal static class PipelineRecovery
{
    /// <summary>Every step completed with one task (its first attempt's): nothing was started a second time.</summary>
    public static void AssertEachStepStartedOnce(JsonNode run)
    {
        foreach (var step in Steps(run))
        {
            Assert.Equal("completed", State(step));
            Assert.Equal(1, step["attempts"]!.GetValue<int>());
            Assert.Single(step["task_ids"]!.AsArray());
        }
    }
}
