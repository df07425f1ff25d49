using System.Net;
using System.Text.Json.Nodes;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;
using static AiPlatform.Platform.Tests.PipelinesApi;

namespace AiPlatform.Platform.Tests;

/// <summary>Pipelines through /api/v2 on the real fleet: graphs, retries, failure policies, conditions, cancel and resume.</summary>
[Collection(PlatformCollection.Name)]
public sealed class PipelinesTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_diamond_runs_its_two_branches_in_parallel_and_passes_results_and_params_down()
    {
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("diamond"),
            @params = new { seconds = new { type = "number", @default = 3 }, word = "hello" },
            steps = new object[]
            {
                new { name = "start", type = "ingestion", script = "echo.csx", @params = new { message = "${params.word}", times = 2 } },
                new { name = "left", type = "training", script = "sleep.csx", depends_on = new[] { "start" }, @params = new { seconds = "${params.seconds}" } },
                new { name = "right", type = "training", script = "sleep.csx", depends_on = new[] { "start" }, @params = new { seconds = "${params.seconds}" } },
                new
                {
                    name = "join", type = "ingestion", script = "echo.csx", depends_on = new[] { "left", "right" },
                    @params = new { message = "${steps.start.result.message} after ${steps.left.result.slept} s", times = "${steps.start.result.times}" },
                },
            },
        });
        var run = await platform.ExecuteAsync(pipeline, new { seconds = 2 });
        var done = await platform.WaitForRunAsync(run, "completed", "failed");

        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.All(Steps(done), s => Assert.Equal("completed", State(s)));
        Assert.Equal("hello after 2 s", Step(done, "join")["result"]!["message"]!.GetValue<string>());
        Assert.Equal(2, Step(done, "join")["result"]!["times"]!.GetValue<int>());

        // Both branches ran at the same time, each on its own train worker, after start and before join.
        var left = await platform.GetTaskAsync(Step(done, "left")["task_id"]!.GetValue<Guid>());
        var right = await platform.GetTaskAsync(Step(done, "right")["task_id"]!.GetValue<Guid>());
        var start = await platform.GetTaskAsync(Step(done, "start")["task_id"]!.GetValue<Guid>());
        var join = await platform.GetTaskAsync(Step(done, "join")["task_id"]!.GetValue<Guid>());
        Assert.True(Time(left, "started_at") < Time(right, "finished_at") && Time(right, "started_at") < Time(left, "finished_at"),
            $"branches did not overlap: left {left.ToJsonString()} right {right.ToJsonString()}");
        Assert.NotEqual(left["worker_id"]!.GetValue<string>(), right["worker_id"]!.GetValue<string>());
        Assert.True(Time(start, "finished_at") <= Time(left, "started_at") && Time(start, "finished_at") <= Time(right, "started_at"));
        Assert.True(Time(join, "started_at") >= Time(left, "finished_at") && Time(join, "started_at") >= Time(right, "finished_at"));
        Assert.Equal(run, join["pipeline_run_id"]!.GetValue<Guid>());
        Assert.Equal("join", join["pipeline_step"]!.GetValue<string>());

        using var status = await platform.Http.GetAsync($"/api/v2/pipelines/{pipeline}/status");
        Assert.Equal(run, JsonNode.Parse(await status.Content.ReadAsStringAsync())!["id"]!.GetValue<Guid>());
        using var runs = await platform.Http.GetAsync($"/api/v2/pipelines/{pipeline}/runs");
        Assert.Equal(1, JsonNode.Parse(await runs.Content.ReadAsStringAsync())!["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_failed_step_is_retried_by_its_policy_and_then_succeeds()
    {
        var key = Guid.NewGuid().ToString("N");
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("retry"),
            steps = new object[]
            {
                new { name = "flaky", type = "training", script = "pipelines/flaky.csx", @params = new { key, failures = 2 },
                      retry = new { max_attempts = 3, backoff_seconds = 1, on = new[] { "error" } } },
            },
        });
        var done = await platform.WaitForRunAsync(await platform.ExecuteAsync(pipeline), "completed", "failed");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        var flaky = Step(done, "flaky");
        Assert.Equal(3, flaky["attempts"]!.GetValue<int>());
        Assert.Equal(3, flaky["task_ids"]!.AsArray().Count);
        Assert.Equal(3, flaky["result"]!["runs"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_final_failure_fails_fast_cancelling_the_running_branch_and_starting_nothing_more()
    {
        var pipeline = await platform.CreatePipelineAsync(FailingPipeline(Unique("failfast"), "fail_fast", slowSeconds: 60));
        var done = await platform.WaitForRunAsync(await platform.ExecuteAsync(pipeline), "failed", "completed");

        Assert.Equal("failed", done["status"]!.GetValue<string>());
        Assert.Equal("failed", StepState(done, "broken"));
        Assert.Contains("broken on purpose", Step(done, "broken")["error"]!.GetValue<string>());
        Assert.Equal("cancelled", StepState(done, "after-broken"));
        Assert.Null(Step(done, "after-broken")["task_id"]);
        Assert.Equal("cancelled", StepState(done, "slow"));
        var slow = await platform.WaitForStatusAsync(Step(done, "slow")["task_id"]!.GetValue<Guid>(), Patience, "cancelled", "completed", "failed");
        Assert.Equal("cancelled", slow["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_final_failure_with_continue_lets_the_independent_branch_finish()
    {
        var pipeline = await platform.CreatePipelineAsync(FailingPipeline(Unique("continue"), "continue", slowSeconds: 3));
        var done = await platform.WaitForRunAsync(await platform.ExecuteAsync(pipeline), "failed", "completed");

        Assert.Equal("failed", done["status"]!.GetValue<string>());
        Assert.Equal("failed", StepState(done, "broken"));
        Assert.Equal("upstream_failed", StepState(done, "after-broken"));
        Assert.Equal("completed", StepState(done, "slow"));
        Assert.Equal("completed", StepState(done, "after-slow"));
    }

    [Fact]
    public async Task A_resumed_run_reruns_only_the_failed_steps_and_reads_what_the_first_attempt_wrote()
    {
        var (dataset, model, key) = (Unique("pl-ds"), Unique("pl-m"), Guid.NewGuid().ToString("N"));
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("resume"),
            steps = new object[]
            {
                new { name = "write", type = "ingestion", script = "registry/write_dataset.csx", output = dataset, @params = new { rows = 10 } },
                new { name = "train", type = "training", script = "registry/save_model.csx", input = dataset, output = model, depends_on = new[] { "write" } },
                new { name = "check", type = "training", script = "pipelines/flaky.csx", input = dataset, depends_on = new[] { "train" },
                      @params = new { key, model = "${steps.train.result.model}" } },
            },
        });
        var run = await platform.ExecuteAsync(pipeline);
        var failed = await platform.WaitForRunAsync(run, "failed", "completed");
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Equal(["completed", "completed", "failed"], Steps(failed).Select(State));
        Assert.Equal($"{dataset}@1", Step(failed, "write")["produced"]![dataset]!.GetValue<string>());

        // A newer version of the dataset appears meanwhile; the resumed step still reads the one its run wrote.
        var newer = await platform.SubmitAsync(new { type = "ingestion", name = Unique("pl-newer"), script = "registry/write_dataset.csx", output = dataset });
        Assert.Equal("completed", (await platform.WaitForStatusAsync(newer, Patience, "completed", "failed"))["status"]!.GetValue<string>());

        var (status, _) = await platform.SendAsync($"/api/v2/runs/{run}/resume", new { });
        Assert.Equal(HttpStatusCode.Accepted, status);
        var resumed = await platform.WaitForRunAsync(run, r => r["status"]!.GetValue<string>() is "completed" or "failed" && r["resumes"]!.GetValue<int>() == 1,
            "the end of the resumed run");
        Assert.Equal("completed", resumed["status"]!.GetValue<string>());
        Assert.Equal(1, Step(resumed, "write")["task_ids"]!.AsArray().Count);
        Assert.Equal(1, Step(resumed, "train")["task_ids"]!.AsArray().Count);
        Assert.Equal(2, Step(resumed, "check")["attempts"]!.GetValue<int>());
        var check = await platform.GetTaskAsync(Step(resumed, "check")["task_id"]!.GetValue<Guid>());
        Assert.Equal($"{dataset}@1", check["input"]!.GetValue<string>());
        Assert.Equal(Step(failed, "train")["result"]!["model"]!.GetValue<string>(), check["params"]!["model"]!.GetValue<string>());

        var (again, body) = await platform.SendAsync($"/api/v2/runs/{run}/resume", new { });
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Equal("RUN_NOT_RESUMABLE", body["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cancelling_a_run_cancels_its_running_step_and_never_starts_the_rest()
    {
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("cancel"),
            steps = new object[]
            {
                new { name = "long", type = "training", script = "sleep.csx", @params = new { seconds = 120 } },
                new { name = "next", type = "ingestion", script = "echo.csx", depends_on = new[] { "long" } },
            },
        });
        var run = await platform.ExecuteAsync(pipeline);
        var running = await platform.WaitForRunAsync(run, r => Step(r, "long")["task_status"]?.GetValue<string>() == "running", "step long running");
        var (status, _) = await platform.SendAsync($"/api/v2/runs/{run}/cancel", new { });
        Assert.Equal(HttpStatusCode.Accepted, status);

        var done = await platform.WaitForRunAsync(run, "cancelled");
        Assert.Equal("cancelled", StepState(done, "long"));
        Assert.Equal("cancelled", StepState(done, "next"));
        Assert.Null(Step(done, "next")["task_id"]);
        var task = await platform.WaitForStatusAsync(Step(running, "long")["task_id"]!.GetValue<Guid>(), Patience, "cancelled", "completed", "failed");
        Assert.Equal("cancelled", task["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_false_condition_skips_its_step_and_the_steps_below_it()
    {
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("when"),
            steps = new object[]
            {
                new { name = "measure", type = "ingestion", script = "echo.csx", @params = new { times = 1 } },
                new { name = "promote", type = "ingestion", script = "echo.csx", depends_on = new[] { "measure" }, when = "${steps.measure.result.times} > 1" },
                new { name = "deploy", type = "ingestion", script = "echo.csx", depends_on = new[] { "promote" } },
                new { name = "report", type = "ingestion", script = "echo.csx", depends_on = new[] { "measure" }, when = "${steps.measure.result.times} == 1 && true" },
            },
        });
        var done = await platform.WaitForRunAsync(await platform.ExecuteAsync(pipeline), "completed", "failed");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal(["completed", "skipped", "skipped", "completed"], Steps(done).Select(State));
        Assert.Null(Step(done, "promote")["task_id"]);
        Assert.Contains("condition is false", Step(done, "promote")["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_gateway_restart_mid_run_loses_nothing_and_starts_no_step_twice()
    {
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("restart"),
            steps = new object[]
            {
                new { name = "first", type = "training", script = "sleep.csx", @params = new { seconds = 4 } },
                new { name = "second", type = "ingestion", script = "echo.csx", depends_on = new[] { "first" } },
                new { name = "third", type = "training", script = "sleep.csx", depends_on = new[] { "second" }, @params = new { seconds = 1 } },
            },
        });
        var run = await platform.ExecuteAsync(pipeline);
        await platform.WaitForRunAsync(run, r => Step(r, "first")["task_status"]?.GetValue<string>() == "running", "step first running");
        await platform.RestartGatewayAsync(TimeSpan.FromSeconds(5));

        var done = await platform.WaitForRunAsync(run, "completed", "failed");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        foreach (var step in Steps(done))
        {
            Assert.Equal(1, step["task_ids"]!.AsArray().Count);
            var task = await platform.GetTaskAsync(step["task_id"]!.GetValue<Guid>());
            Assert.Equal(1, task["attempts"]!.GetValue<int>());
        }
    }

    private static object FailingPipeline(string name, string onFailure, int slowSeconds) => new
    {
        name,
        on_failure = onFailure,
        steps = new object[]
        {
            new { name = "broken", type = "ingestion", script = "fail.csx", @params = new { message = "broken on purpose" } },
            new { name = "after-broken", type = "ingestion", script = "echo.csx", depends_on = new[] { "broken" } },
            new { name = "slow", type = "training", script = "sleep.csx", @params = new { seconds = slowSeconds } },
            new { name = "after-slow", type = "training", script = "echo.csx", depends_on = new[] { "slow" } },
        },
    };

    private static DateTimeOffset Time(JsonNode task, string field) => task[field]!.GetValue<DateTimeOffset>();
}
